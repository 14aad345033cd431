"""Celery tasks of usage."""

from celery import shared_task
from django.utils import timezone

from .idempotency import tracked_calls_sweep
from .services import usage_history_fold


@shared_task
def fold_usage_history() -> int:
    """Every few minutes (beat): the counters' growth into the daily history. Idempotent."""
    return usage_history_fold()


@shared_task
def sweep_idempotency_keys() -> int:
    """Forget ``Idempotency-Key`` answers older than 24 h (Celery beat, hourly)."""
    return tracked_calls_sweep(now=timezone.now())
