from celery import shared_task

from .services import signup_records_cleanup


@shared_task(bind=True, max_retries=5, acks_late=True)
def send_end_user_email(self, *, subject: str, body: str, to: str) -> None:
    from .emails import deliver

    try:
        deliver(subject=subject, body=body, to=to)
    except OSError as exc:  # SMTP down or refusing: try again later (30 s, 60 s, … capped at 15 min)
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 900)) from exc


@shared_task
def cleanup_signup_records() -> dict:
    codes, keys = signup_records_cleanup()
    return {"codes": codes, "keys": keys}
