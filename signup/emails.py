"""The e-mails the hosted pages send to end users, and the signed links inside them.

Links carry a value signed with Django's signing framework (SECRET_KEY, a salt per purpose,
a timestamp checked against a maximum age); nothing is stored per link.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from tenants.models import EndUser

from .selectors import HostedContext

VERIFY_SALT = "signup.email-verification"
RESET_SALT = "signup.password-reset"


def _absolute(path: str, **query: str) -> str:
    return f"{settings.SITE_URL}{path}?{urlencode(query)}"


def _send(*, hosted: HostedContext, end_user: EndUser, subject: str, template: str, context: dict) -> None:
    """Render now, deliver from a Celery task: the page answers as fast for a registered
    address as for an unknown one (no timing side channel), and a slow mail server never
    holds up a hosted page. The task reads nothing from the database, so it need not wait
    for the caller's transaction."""
    from .tasks import send_end_user_email

    body = render_to_string(template, {"hosted": hosted, "end_user": end_user, **context})
    message = {"subject": f"{subject} · {hosted.display_name}", "body": body, "to": end_user.email}
    send_end_user_email.delay(**message)


def deliver(*, subject: str, body: str, to: str) -> None:
    send_mail(subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[to])


def verification_link(*, end_user: EndUser, redirect_uri: str, fingerprint: str) -> str:
    value = signing.dumps({"u": end_user.public_id, "r": redirect_uri, "f": fingerprint}, salt=VERIFY_SALT,
                          compress=True)
    return _absolute(reverse("signup:verify"), t=value)


def password_reset_link(*, end_user: EndUser, redirect_uri: str, fingerprint: str) -> str:
    value = signing.dumps({"u": end_user.public_id, "r": redirect_uri, "f": fingerprint}, salt=RESET_SALT, compress=True)
    return _absolute(reverse("signup:reset"), t=value)


def sign_in_link(*, hosted: HostedContext, redirect_uri: str) -> str:
    return _absolute(reverse("signup:signin"), pk=hosted.publishable_key, redirect=redirect_uri)


def forgot_link(*, hosted: HostedContext, redirect_uri: str) -> str:
    return _absolute(reverse("signup:forgot"), pk=hosted.publishable_key, redirect=redirect_uri)


def verification_email_send(
    *, hosted: HostedContext, end_user: EndUser, redirect_uri: str, fingerprint: str, max_age_hours: int
) -> None:
    _send(
        hosted=hosted, end_user=end_user, subject="Confirm your e-mail address", template="signup/email/verify.txt",
        context={
            "link": verification_link(end_user=end_user, redirect_uri=redirect_uri, fingerprint=fingerprint),
            "hours": max_age_hours,
        },
    )


def account_exists_email_send(*, hosted: HostedContext, end_user: EndUser, redirect_uri: str) -> None:
    """Sent instead of an error when someone signs up with a registered e-mail (no enumeration)."""
    _send(
        hosted=hosted, end_user=end_user, subject="You already have an account", template="signup/email/account_exists.txt",
        context={
            "sign_in_link": sign_in_link(hosted=hosted, redirect_uri=redirect_uri),
            "forgot_link": forgot_link(hosted=hosted, redirect_uri=redirect_uri),
        },
    )


def password_reset_email_send(
    *, hosted: HostedContext, end_user: EndUser, redirect_uri: str, fingerprint: str, max_age_minutes: int
) -> None:
    _send(
        hosted=hosted, end_user=end_user, subject="Reset your password", template="signup/email/reset.txt",
        context={
            "link": password_reset_link(end_user=end_user, redirect_uri=redirect_uri, fingerprint=fingerprint),
            "minutes": max_age_minutes,
        },
    )
