from celery import shared_task

from .services import reservations_sweep


@shared_task
def sweep_reservations() -> dict:
    """Close store checkouts whose Stripe events were lost (Celery beat, every 5 minutes)."""
    return reservations_sweep()
