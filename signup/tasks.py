"""Celery tasks of the hosted sign-up: e-mail delivery and its retry, and cleanup."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db.models import F, Q
from django.utils import timezone

from . import crypto
from .emails import deliver, unsent_email_keep
from .models import UnsentEmail
from .services import signup_records_cleanup

logger = logging.getLogger(__name__)

DELIVERY_MAX_RETRIES = 5
# An unsent e-mail is tried again at most this often, and given up after UNSENT_EMAIL_GIVE_UP.
UNSENT_EMAIL_RETRY_INTERVAL = timedelta(minutes=1)
UNSENT_EMAIL_GIVE_UP = timedelta(days=2)
UNSENT_EMAIL_BATCH = 100


@shared_task(bind=True, max_retries=DELIVERY_MAX_RETRIES, acks_late=True)
def send_end_user_email(self, *, subject: str, body: str, to: str) -> None:
    try:
        deliver(subject=subject, body=body, to=to)
    except OSError as exc:  # SMTP down or refusing: try again later (30 s, 60 s, … capped at 15 min)
        if self.request.retries >= DELIVERY_MAX_RETRIES:
            logger.error("giving up delivering an e-mail to an end user after %s tries (%s); kept for the periodic "
                         "retry", self.request.retries + 1, exc)
            unsent_email_keep(to=to, subject=subject, body=body, reason="delivery")
            return
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 900)) from exc


@shared_task
def send_unsent_emails() -> dict:
    """Deliver e-mails that could not be queued or whose delivery gave up (Celery beat, every
    minute). Each row is claimed with a conditional UPDATE, so two workers never send it twice."""
    now = timezone.now()
    due = (
        UnsentEmail.objects.filter(sent_at__isnull=True, created_at__gt=now - UNSENT_EMAIL_GIVE_UP)
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=now - UNSENT_EMAIL_RETRY_INTERVAL))
        .order_by("created_at")
        .values_list("id", "last_attempt_at")[:UNSENT_EMAIL_BATCH]
    )
    sent = failed = 0
    for email_id, last_attempt_at in due:
        claimed = UnsentEmail.objects.filter(id=email_id, sent_at__isnull=True, last_attempt_at=last_attempt_at).update(
            last_attempt_at=now, attempts=F("attempts") + 1)
        if claimed != 1:  # another worker took it
            continue
        row = UnsentEmail.objects.get(id=email_id)
        try:
            deliver(subject=row.subject, body=crypto.decrypt(row.body_encrypted), to=row.to)
        except (OSError, crypto.InvalidToken) as exc:
            failed += 1
            logger.warning("unsent e-mail %s still cannot be delivered (%s)", email_id, type(exc).__name__)
            continue
        # Sent: the links inside are live, so the body goes.
        UnsentEmail.objects.filter(id=email_id).update(sent_at=timezone.now(), body_encrypted="")
        sent += 1
    return {"sent": sent, "failed": failed}


@shared_task
def cleanup_signup_records() -> dict:
    return signup_records_cleanup()
