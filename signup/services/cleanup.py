"""Deleting what can no longer be used (``manage.py signup_cleanup``, hourly from Celery beat)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from ..models import PendingSignup, SignInCode, SigningKey, UnsentEmail
from .accounts import PENDING_RETENTION

# Used and expired codes are kept a day for support questions ("did my user sign in?").
CODE_RETENTION = timedelta(days=1)
# E-mails that could not be sent stay visible in the admin this long.
UNSENT_EMAIL_RETENTION = timedelta(days=7)


def signup_records_cleanup(*, now=None) -> dict[str, int]:
    """Delete sign-in codes past their retention, signing keys no longer published, pending
    sign-ups (they hold password hashes) once confirmed, voided or past their retention, and
    old e-mail records. Safe to run at any time and repeatedly. Returns counts by kind."""
    now = now or timezone.now()
    codes, _ = SignInCode.objects.filter(expires_at__lt=now - CODE_RETENTION).delete()
    keys, _ = SigningKey.objects.filter(retired_at__isnull=False, verify_until__lt=now).delete()
    pending, _ = PendingSignup.objects.filter(
        Q(confirmed_at__lt=now - CODE_RETENTION) | Q(voided_at__lt=now - CODE_RETENTION)
        | Q(created_at__lt=now - PENDING_RETENTION)
    ).delete()
    emails, _ = UnsentEmail.objects.filter(created_at__lt=now - UNSENT_EMAIL_RETENTION).delete()
    return {"codes": codes, "keys": keys, "pending_signups": pending, "unsent_emails": emails}
