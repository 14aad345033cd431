"""One-time sign-in codes: issued on the app's redirect, exchanged once for the end user.

A code is bound to its project, mode and exact redirect URL, and, when the app started the
sign-in with a PKCE challenge, to that challenge. Exchange rules:

- a code issued with a challenge needs the matching ``codeVerifier``, whichever key is sent;
- a code issued without one can be exchanged only with the secret key, and without a
  verifier (a verifier there would mean the challenge was lost on the way: a downgrade);
- with the publishable key (a browser), a verifier is always required.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from dreamapi.errors import ApiError
from tenants.keycache import KeyContext
from tenants.models import ApiKey, EndUser

from .. import pkce
from ..models import EndUserAuth, SignInCode
from ..redirects import redirect_with_code
from ..selectors import AppReturn
from .limits import rate_limit

CODE_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class SignedIn:
    """A finished hosted sign-in: who, and the app's redirect URL with ``?code=…``."""

    end_user: EndUser
    redirect_url: str


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def sign_in_code_issue(*, end_user: EndUser, back: AppReturn, method: str) -> str:
    """A one-time code for ``back``; returns the raw code (only its digest is stored)."""
    code = secrets.token_urlsafe(32)
    now = timezone.now()
    SignInCode.objects.create(
        digest=code_digest(code),
        project_id=end_user.project_id,
        mode=end_user.mode,
        end_user=end_user,
        redirect_uri=back.redirect_uri,
        code_challenge=back.code_challenge,
        method=method,
        expires_at=now + CODE_TTL,
    )
    EndUserAuth.objects.update_or_create(end_user=end_user, defaults={"last_sign_in_at": now})
    return code


def signed_in(*, end_user: EndUser, back: AppReturn, method: str) -> SignedIn:
    code = sign_in_code_issue(end_user=end_user, back=back, method=method)
    return SignedIn(end_user=end_user, redirect_url=redirect_with_code(url=back.redirect_uri, code=code))


def _refused(message: str, code: str, status_code: int = 400) -> ApiError:
    return ApiError(message, code=code, title="Invalid code" if status_code == 400 else "Forbidden",
                    status_code=status_code)


def sign_in_code_exchange(*, key: KeyContext, code: str, redirect_uri: str, code_verifier: str | None,
                          client_ip: str) -> EndUser:
    """Consume a code: one conditional UPDATE, so of concurrent exchanges only one wins.

    The PKCE check is part of the UPDATE's condition (the stored challenge must equal
    S256 of the verifier sent, or be empty when none is sent), so a refused attempt leaves
    the code usable by its rightful holder.
    """
    browser = key.kind == ApiKey.Kind.PUBLISHABLE
    if browser:
        rate_limit(rule="browser:ip", subject=f"{key.project_id}:{key.mode}:{client_ip}")
    rate_limit(rule="exchange:key", subject=f"{key.project_id}:{key.mode}:{key.kind}")
    if browser and not code_verifier:
        raise _refused("With the publishable key, send codeVerifier (PKCE); a code without one is exchanged with "
                       "your secret key, on your server.", "code_verifier_required")
    expected_challenge = pkce.s256(code_verifier) if code_verifier else ""
    digest = code_digest(code)
    now = timezone.now()
    claimed = SignInCode.objects.filter(
        digest=digest,
        project_id=key.project_id,
        mode=key.mode,
        redirect_uri=redirect_uri,
        code_challenge=expected_challenge,
        used_at__isnull=True,
        expires_at__gt=now,
    ).update(used_at=now)
    if claimed == 1:
        return SignInCode.objects.select_related("end_user__tier", "end_user__project").get(digest=digest).end_user
    # Refused: read the row only to say why. A code of another project or mode reads as unknown.
    row = SignInCode.objects.filter(digest=digest, project_id=key.project_id, mode=key.mode).first()
    if row is None:
        raise _refused("This code is unknown (or belongs to another project or mode).", "invalid_code")
    if row.used_at is not None:
        raise _refused("This code has already been used; codes work once.", "code_used")
    if row.expires_at <= now:
        raise _refused("This code has expired; the end user must sign in again.", "code_expired")
    if row.redirect_uri != redirect_uri:
        raise _refused("redirectUri does not match the redirect URL the code was issued for.", "redirect_uri_mismatch")
    if row.code_challenge and not code_verifier:
        raise _refused("This code was issued with a code_challenge: send its codeVerifier.", "code_verifier_required")
    if not row.code_challenge:
        if browser:
            raise _refused("This code was issued without a code_challenge, so only your secret key can exchange it. "
                           "Start the sign-in with code_challenge and code_challenge_method=S256.",
                           "secret_key_required", status_code=403)
        raise _refused("This code was issued without a code_challenge; send no codeVerifier.",
                       "code_verifier_unexpected")
    raise _refused("codeVerifier does not match the code_challenge the code was issued with.", "invalid_code_verifier")
