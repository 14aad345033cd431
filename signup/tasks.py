from celery import shared_task

from .services import signup_records_cleanup


@shared_task
def cleanup_signup_records() -> dict:
    codes, keys = signup_records_cleanup()
    return {"codes": codes, "keys": keys}
