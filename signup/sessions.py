"""The hosted pages' own cookies, on our domain (never the app's).

- The **hosted session** says who is signed in on the hosted pages of one project and mode,
  so /account and /refresh can act for them without asking again. It is set whenever the end
  user signs in through the hosted pages (password, e-mail link, reset, OpenID provider),
  holds the end user's id and token version, is signed (Django's signing, with a timestamp:
  it lasts ``SESSION_MAX_AGE``), HttpOnly, SameSite=Lax, and Secure in production. Revoking
  the end user's tokens ("sign out of every device", a password change or reset) bumps the
  version, which ends every hosted session too; deleting the end user ends it as well.
- The **browser key** is a random value that recognises the browser which started a sign-up
  (see ``PendingSignup``); only its digest is stored.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from tenants.models import EndUser

from .models import EndUserAuth
from .selectors import HostedContext

SESSION_MAX_AGE = 7 * 24 * 60 * 60
SESSION_SALT = "signup.hosted-session"
BROWSER_COOKIE = "dreamapi_browser"
BROWSER_SALT = "signup.browser"
BROWSER_MAX_AGE = 30 * 24 * 60 * 60


def _cookie_options(max_age: int) -> dict:
    return {"max_age": max_age, "httponly": True, "samesite": "Lax", "secure": settings.SESSION_COOKIE_SECURE,
            "path": "/"}


def _session_cookie(*, project_public_id: str, mode: str) -> str:
    return f"dreamapi_session_{project_public_id}_{mode}"


def _token_version(end_user_id: int) -> int:
    return EndUserAuth.objects.filter(end_user_id=end_user_id).values_list("token_version", flat=True).first() or 0


def hosted_session_start(response: HttpResponse, *, end_user: EndUser) -> None:
    name = _session_cookie(project_public_id=end_user.project.public_id, mode=end_user.mode)
    value = f"{end_user.public_id}:{_token_version(end_user.pk)}"
    response.set_signed_cookie(name, value, salt=SESSION_SALT, **_cookie_options(SESSION_MAX_AGE))


def hosted_session_end_user(request: HttpRequest, *, hosted: HostedContext) -> EndUser | None:
    """The end user signed in on this project's and mode's hosted pages, if any."""
    name = _session_cookie(project_public_id=hosted.project.public_id, mode=hosted.mode)
    value = request.get_signed_cookie(name, default=None, salt=SESSION_SALT, max_age=SESSION_MAX_AGE)
    public_id, _, version = (value or "").partition(":")
    if not public_id or not version.isdigit():
        return None
    end_user = (
        EndUser.objects.filter(project_id=hosted.project.id, mode=hosted.mode, public_id=public_id)
        .select_related("tier", "project")
        .first()
    )
    if end_user is None or int(version) != _token_version(end_user.pk):
        return None
    return end_user


def hosted_session_end(response: HttpResponse, *, hosted: HostedContext) -> None:
    response.delete_cookie(_session_cookie(project_public_id=hosted.project.public_id, mode=hosted.mode), path="/",
                           samesite="Lax")


def browser_key(request: HttpRequest) -> str:
    """This browser's key, created on first use (``browser_key_save`` sets the cookie)."""
    key = getattr(request, "_signup_browser_key", None)
    if key is None:
        key = request.get_signed_cookie(BROWSER_COOKIE, default="", salt=BROWSER_SALT, max_age=BROWSER_MAX_AGE)
        request._signup_browser_key_is_new = not key
        key = key or secrets.token_urlsafe(32)
        request._signup_browser_key = key
    return key


def browser_key_save(request: HttpRequest, response: HttpResponse) -> None:
    if getattr(request, "_signup_browser_key_is_new", False):
        response.set_signed_cookie(BROWSER_COOKIE, request._signup_browser_key, salt=BROWSER_SALT,
                                   **_cookie_options(BROWSER_MAX_AGE))
