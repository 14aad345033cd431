from celery import shared_task

from .services import usage_history_fold


@shared_task
def fold_usage_history() -> int:
    """Every few minutes (beat): the counters' growth into the daily history. Idempotent."""
    return usage_history_fold()
