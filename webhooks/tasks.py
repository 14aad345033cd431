"""Celery tasks of developer webhooks: one attempt of a delivery, and the periodic sweep that
sends what is due (retries on their schedule, and deliveries the broker never got)."""

from celery import shared_task

from .services import webhook_deliveries_due, webhook_delivery_attempt, webhook_history_sweep


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> str:
    delivery = webhook_delivery_attempt(delivery_id=delivery_id)
    return "not due" if delivery is None else delivery.status


@shared_task
def send_due_webhooks() -> int:
    due = webhook_deliveries_due()
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)


@shared_task
def sweep_webhook_history() -> int:
    return webhook_history_sweep()
