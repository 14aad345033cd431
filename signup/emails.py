"""The e-mails the hosted pages send to end users, and the links inside them.

Confirmation links carry a random token whose digest a ``PendingSignup`` keeps. Reset links
carry a value signed with Django's signing framework (SECRET_KEY, a salt, a timestamp
checked against a maximum age) and nothing is stored for them.

Delivery: the message is rendered now and handed to a Celery task. When the broker cannot
take it, the page still succeeds: the failure is logged and the message is kept (encrypted)
as an ``UnsentEmail``, which the periodic task ``send_unsent_emails`` delivers later.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from tenants.models import EndUser

from . import crypto
from .models import UnsentEmail
from .selectors import AppReturn, HostedContext

logger = logging.getLogger(__name__)

RESET_SALT = "signup.password-reset"
# Fail fast when the broker is down: the page must answer, and the e-mail is kept for later.
ENQUEUE_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def _absolute(path: str, query: str) -> str:
    return f"{settings.SITE_URL}{path}?{query}"


def unsent_email_keep(*, to: str, subject: str, body: str, reason: str) -> UnsentEmail:
    return UnsentEmail.objects.create(to=to, subject=subject, body_encrypted=crypto.encrypt(body), reason=reason)


def _send(*, hosted: HostedContext, to: str, subject: str, template: str, context: dict) -> None:
    """Render now, deliver from a Celery task: the page answers as fast for a registered
    address as for an unknown one (no timing side channel), and a slow mail server never
    holds up a hosted page. The task reads nothing from the database, so it need not wait
    for the caller's transaction."""
    from .tasks import send_end_user_email  # tasks imports services, which import this module

    body = render_to_string(template, {"hosted": hosted, **context})
    message = {"subject": f"{subject} · {hosted.display_name}", "body": body, "to": to}
    try:
        send_end_user_email.apply_async(kwargs=message, retry=True, retry_policy=ENQUEUE_RETRY_POLICY)
    except Exception as exc:  # the broker is down or refusing: kombu/redis raise many kinds
        logger.error("could not queue an e-mail to an end user of project %s (%s: %s); kept for the periodic retry",
                     hosted.project.public_id, type(exc).__name__, exc)
        unsent_email_keep(**message, reason="enqueue")


def deliver(*, subject: str, body: str, to: str) -> None:
    send_mail(subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[to])


def verification_link(*, token: str) -> str:
    return _absolute(reverse("signup:verify"), urlencode({"t": token}))


def password_reset_link(*, end_user: EndUser, back: AppReturn, fingerprint: str) -> str:
    value = signing.dumps({"u": end_user.public_id, "r": back.redirect_uri, "c": back.code_challenge,
                           "f": fingerprint}, salt=RESET_SALT, compress=True)
    return _absolute(reverse("signup:reset"), urlencode({"t": value}))


def verification_email_send(*, hosted: HostedContext, to: str, token: str, max_age_hours: int) -> None:
    _send(
        hosted=hosted, to=to, subject="Confirm your e-mail address", template="signup/email/verify.txt",
        context={"link": verification_link(token=token), "hours": max_age_hours},
    )


def account_exists_email_send(*, hosted: HostedContext, end_user: EndUser, back: AppReturn) -> None:
    """Sent instead of an error when someone signs up with a registered e-mail (no enumeration)."""
    query = back.query(publishable_key=hosted.publishable_key)
    _send(
        hosted=hosted, to=end_user.email, subject="You already have an account",
        template="signup/email/account_exists.txt",
        context={
            "sign_in_link": _absolute(reverse("signup:signin"), query),
            "forgot_link": _absolute(reverse("signup:forgot"), query),
            "has_password": end_user.has_usable_password,
        },
    )


def password_reset_email_send(
    *, hosted: HostedContext, end_user: EndUser, back: AppReturn, fingerprint: str, max_age_minutes: int
) -> None:
    """"Reset your password", or "Set your password" for an account that has none yet (created
    with the API, or through an OpenID provider)."""
    has_password = end_user.has_usable_password
    _send(
        hosted=hosted, to=end_user.email, subject="Reset your password" if has_password else "Set your password",
        template="signup/email/reset.txt",
        context={
            "link": password_reset_link(end_user=end_user, back=back, fingerprint=fingerprint),
            "minutes": max_age_minutes,
            "has_password": has_password,
        },
    )
