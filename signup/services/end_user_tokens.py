"""Refresh and revocation of end-user tokens, for a backend (secret key) or the end user's
own browser (publishable key + their token)."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from dreamapi.errors import ApiError, NotFound
from tenants.keycache import KeyContext
from tenants.models import ApiKey, EndUser

from ..models import EndUserAuth, SignInCode
from ..tokens import REFRESH_WINDOW, IssuedToken, end_user_token_claims, end_user_token_issue
from .limits import rate_limit


def end_user_tokens_revoke(*, end_user: EndUser) -> EndUserAuth:
    """Refuse every token issued so far to this end user, end their hosted sessions, and void
    any sign-in code not yet used."""
    now = timezone.now()
    EndUserAuth.objects.get_or_create(end_user=end_user)
    EndUserAuth.objects.filter(end_user=end_user).update(token_version=F("token_version") + 1, tokens_revoked_at=now)
    SignInCode.objects.filter(end_user=end_user, used_at__isnull=True).update(used_at=now)
    return EndUserAuth.objects.get(end_user=end_user)


def _browser_limits(*, key: KeyContext, client_ip: str) -> None:
    if key.kind == ApiKey.Kind.PUBLISHABLE:
        rate_limit(rule="browser:ip", subject=f"{key.project_id}:{key.mode}:{client_ip}")


def end_user_from_request(*, key: KeyContext, customer_id: str | None, token: str | None,
                          client_ip: str) -> EndUser:
    """The end user a refresh or revoke is about: by id (secret key only) or by a token of
    theirs, which may have expired up to ``REFRESH_WINDOW`` ago but must not be revoked.

    With the publishable key only the token can name the end user: a browser must never act
    for an end user by naming an id.
    """
    _browser_limits(key=key, client_ip=client_ip)
    if key.kind == ApiKey.Kind.PUBLISHABLE and not token:
        raise ApiError("With the publishable key, name the end user by their token ({\"token\": …}); customerId "
                       "needs your secret key.", code="user_token_required", title="Forbidden", status_code=403)
    if token:
        claims = end_user_token_claims(token=token, project_id=key.project_id, project_public_id=key.project_public_id,
                                       mode=key.mode, allow_expired=REFRESH_WINDOW)
        customer_id = claims["sub"]
    end_user = (
        EndUser.objects.filter(project_id=key.project_id, mode=key.mode, public_id=customer_id)
        .select_related("tier", "project")
        .first()
    )
    if end_user is None:
        raise NotFound(f"No end user '{customer_id}' in this project and mode.", code="end_user_not_found")
    return end_user


def end_user_token_refresh(*, key: KeyContext, customer_id: str | None = None, token: str | None = None,
                           client_ip: str = "") -> tuple[EndUser, IssuedToken]:
    """A new token (with the end user's current plan) for an end user named by id or token."""
    end_user = end_user_from_request(key=key, customer_id=customer_id, token=token, client_ip=client_ip)
    return end_user, end_user_token_issue(end_user=end_user)
