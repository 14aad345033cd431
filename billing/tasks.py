from celery import shared_task

from .services.events import RetryLater, stripe_event_process, stripe_events_requeue_stale
from .services.platform_plan import platform_plans_expire
from .services.subscriptions import subscriptions_reconcile


@shared_task(bind=True, max_retries=8, acks_late=True)
def process_stripe_event(self, event_pk: int) -> None:
    try:
        stripe_event_process(event_pk=event_pk)
    except RetryLater as exc:
        # 10 s, 20 s, 40 s … capped at 30 min.
        raise self.retry(exc=exc, countdown=min(10 * 2**self.request.retries, 1800)) from exc


@shared_task
def reconcile_subscriptions() -> dict:
    requeued = stripe_events_requeue_stale()
    # A grace period running out is no Stripe event: live keys stop here, within this task's interval.
    expired_plans = platform_plans_expire()
    return {**subscriptions_reconcile(), "requeued_events": requeued, "platform_plans_expired": expired_plans}
