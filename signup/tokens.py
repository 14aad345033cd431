"""End-user tokens (``X-User-Token``): ES256 JWTs signed per project, published as a JWKS.

Claims::

    iss   settings.SITE_URL                       who issued it
    sub   the end user's id (usr_…)               who it is about
    aud   the project's id (prj_…)                which project it is for; stable across key
                                                  regeneration, unlike the publishable key
    pk    the publishable key of the mode          as in the original service's tokens
    publishableKey, email                          the same key, and the end user's e-mail at issue
                                                  time: what the original's client reads from it
    mode  "test" | "live"
    plan  the end user's tier at issue time       informational: the API reads the stored plan
    features  the plan's entitlements at issue    {"api_calls": 10000, "exports": 50, "sso": true}:
              time (usage.entitlements)           a metered feature's limit per period or
                                                  "unlimited", an on/off feature's true/false
    ent_ver   the end user's entitlement version  goes up with every plan change (and every change
                                                  of their tier's features); a token with an older
                                                  one carries stale entitlements: refresh it
    ver   the end user's token version            revocation, see EndUserAuth
    iat, exp (iat + TOKEN_TTL_SECONDS), jti

Verification on our side checks signature (key found by ``kid`` among the caller's project's
keys only), ``exp``, ``aud``, ``iss``, mode and ``ver``. Developers can check everything but
``ver`` offline with the JWKS at ``/.well-known/jwks/<project id>.json``, and gate features on
``features`` without a call (docs/signup.md).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from jwt.algorithms import ECAlgorithm

from dreamapi.errors import ApiError
from tenants.keycache import KeyContext
from tenants.models import ApiKey, EndUser, Project
from usage.entitlements import end_user_entitlements

from . import crypto
from .models import EndUserAuth, SigningKey

logger = logging.getLogger(__name__)

ALGORITHM = "ES256"
TOKEN_TTL_SECONDS = 60 * 60
# Clock skew tolerated between servers (ours and the developer's) when checking exp/iat.
LEEWAY_SECONDS = 30
# A rotated key keeps verifying until every token it signed has expired.
ROTATION_GRACE = timedelta(seconds=TOKEN_TTL_SECONDS + LEEWAY_SECONDS)
# An expired token may still be traded for a new one (with the secret key) for this long.
REFRESH_WINDOW = timedelta(days=7)
MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    expires_at: datetime


def invalid_user_token(message: str) -> ApiError:
    return ApiError(message, code="invalid_user_token", title="Unauthorized", status_code=401)


# --- signing keys ---------------------------------------------------------------------


def _new_signing_key(*, project_id: int) -> SigningKey:
    private_key = ec.generate_private_key(ec.SECP256R1())
    kid = f"jwk_{secrets.token_hex(8)}"
    jwk = ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return SigningKey.objects.create(
        project_id=project_id, kid=kid, algorithm=ALGORITHM, public_jwk=jwk, private_key_encrypted=crypto.encrypt(pem)
    )


def signing_key_get_or_create(*, project_id: int) -> SigningKey:
    """The project's active signing key, created on first use."""
    key = SigningKey.objects.filter(project_id=project_id, retired_at__isnull=True).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _new_signing_key(project_id=project_id)
    except IntegrityError:  # a concurrent request created it first (one active key per project)
        return SigningKey.objects.get(project_id=project_id, retired_at__isnull=True)


def signing_key_rotate(*, project: Project, immediate: bool = False) -> SigningKey:
    """Start signing with a new key.

    The old key stays published and keeps verifying for ``ROTATION_GRACE`` so tokens already
    issued stay valid until they expire. ``immediate=True`` (a leaked key) drops it at once:
    every token it signed stops working.
    """
    now = timezone.now()
    with transaction.atomic():
        old = list(SigningKey.objects.select_for_update().filter(project=project, retired_at__isnull=True))
        verify_until = now if immediate else now + ROTATION_GRACE
        SigningKey.objects.filter(pk__in=[k.pk for k in old]).update(retired_at=now, verify_until=verify_until)
        if immediate:
            # Keys rotated earlier but still in their grace period may be the leaked one too.
            SigningKey.objects.filter(project=project, verify_until__gt=now).update(verify_until=now)
        new = _new_signing_key(project_id=project.id)
    _verification_keys_forget()
    return new


def _private_key(signing_key: SigningKey):
    return serialization.load_pem_private_key(crypto.decrypt(signing_key.private_key_encrypted).encode(), None)


def signing_keys_published(*, project_id: int) -> list[SigningKey]:
    """Keys in the JWKS: the active one and retired ones still in their grace period."""
    now = timezone.now()
    return list(
        SigningKey.objects.filter(project_id=project_id)
        .exclude(retired_at__isnull=False, verify_until__lte=now)
        .order_by("-created_at", "-id")
    )


def jwks_for_project(*, project_id: int) -> dict[str, list[dict[str, Any]]]:
    return {"keys": [dict(key.public_jwk) for key in signing_keys_published(project_id=project_id)]}


# Public keys by (project id, kid), trusted for API_KEY_CACHE_SECONDS like API keys: a key
# dropped by an immediate rotation stops verifying on every server within that time.
_cache_lock = threading.Lock()
_verification_cache: dict[tuple[int, str], tuple[float, Any]] = {}


def _verification_keys_forget() -> None:
    with _cache_lock:
        _verification_cache.clear()


def _verification_key(*, project_id: int, kid: str):
    cache_key = (project_id, kid)
    entry = _verification_cache.get(cache_key)
    if entry is not None and entry[0] > time.monotonic():
        return entry[1]
    row = (
        SigningKey.objects.filter(project_id=project_id, kid=kid)
        .exclude(retired_at__isnull=False, verify_until__lte=timezone.now())
        .values("public_jwk", "verify_until")
        .first()
    )
    public_key = ECAlgorithm.from_jwk(row["public_jwk"]) if row else None
    ttl = settings.API_KEY_CACHE_SECONDS
    if row and row["verify_until"] is not None:
        # Never cache a retired key past the end of its grace period.
        ttl = min(ttl, (row["verify_until"] - timezone.now()).total_seconds())
    if ttl > 0:
        with _cache_lock:
            if len(_verification_cache) > 10_000:
                _verification_cache.clear()
            _verification_cache[cache_key] = (time.monotonic() + ttl, public_key)
    return public_key


# --- issuing --------------------------------------------------------------------------


def end_user_token_issue(*, end_user: EndUser) -> IssuedToken:
    signing_key = signing_key_get_or_create(project_id=end_user.project_id)
    try:
        private_key = _private_key(signing_key)
    except crypto.InvalidToken:
        # SECRET_KEY changed without the old one in SECRET_KEY_FALLBACKS: the private key is
        # unreadable for good. Rotate (tokens signed before stay verifiable until they expire).
        logger.error("signing key %s cannot be decrypted; rotating", signing_key.kid)
        signing_key = signing_key_rotate(project=Project.objects.get(pk=end_user.project_id))
        private_key = _private_key(signing_key)
    publishable_key = (
        ApiKey.objects.filter(
            project_id=end_user.project_id, mode=end_user.mode, kind=ApiKey.Kind.PUBLISHABLE, revoked_at__isnull=True
        )
        .values_list("publishable_key", flat=True)
        .first()
    )
    version = EndUserAuth.objects.filter(end_user=end_user).values_list("token_version", flat=True).first() or 0
    now = int(time.time())
    claims = {
        "iss": settings.SITE_URL,
        "sub": end_user.public_id,
        "aud": end_user.project.public_id,
        "pk": publishable_key or "",
        # The original service's clients read these two from the token (its SDK's auth.getUser()).
        "publishableKey": publishable_key or "",
        "email": end_user.email,
        "mode": end_user.mode,
        **end_user_entitlements(end_user=end_user).claims(),  # plan, features, ent_ver
        "ver": version,
        "iat": now,
        "exp": now + TOKEN_TTL_SECONDS,
        "jti": secrets.token_urlsafe(12),
    }
    token = jwt.encode(claims, private_key, algorithm=ALGORITHM, headers={"kid": signing_key.kid})
    return IssuedToken(
        token=token,
        expires_in=TOKEN_TTL_SECONDS,
        expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
    )


# --- verifying ------------------------------------------------------------------------


def end_user_token_claims(
    *, token: str, project_id: int, project_public_id: str, mode: str, allow_expired: timedelta | None = None
) -> dict[str, Any]:
    """Verified claims of a token of this project and mode, or 401 ``invalid_user_token``.

    Checks signature, ``iss``, ``aud``, ``exp`` (with ``allow_expired`` extra, for refresh),
    mode, and that the end user still exists with the same token version.
    """
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise invalid_user_token("X-User-Token is not a token issued by dream-api.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise invalid_user_token("X-User-Token is not a token issued by dream-api.") from exc
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or not isinstance(kid, str) or len(kid) > 40:
        raise invalid_user_token("X-User-Token is not a token issued by dream-api.")
    public_key = _verification_key(project_id=project_id, kid=kid)
    if public_key is None:
        # Unknown kid for *this* project: another project's token, or a key dropped after a rotation.
        raise invalid_user_token("X-User-Token was not issued for this project (or its signing key was retired).")
    leeway = LEEWAY_SECONDS + (allow_expired.total_seconds() if allow_expired else 0)
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            audience=project_public_id,
            issuer=settings.SITE_URL,
            leeway=leeway,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise invalid_user_token("X-User-Token has expired; get a new one with POST /api/auth/refresh.") from exc
    except jwt.InvalidAudienceError as exc:
        raise invalid_user_token("X-User-Token was not issued for this project.") from exc
    except jwt.InvalidTokenError as exc:
        raise invalid_user_token("X-User-Token is invalid (bad signature or claims).") from exc
    if claims.get("mode") != mode:
        raise invalid_user_token(f"X-User-Token was issued in {claims.get('mode')} mode; this is a {mode} key.")
    row = (
        EndUser.objects.filter(project_id=project_id, mode=mode, public_id=claims["sub"])
        .values_list("id", "signup_auth__token_version")
        .first()
    )
    if row is None:
        raise invalid_user_token("The end user of this token no longer exists.")
    if int(claims.get("ver", 0)) < (row[1] or 0):
        raise invalid_user_token("X-User-Token has been revoked; the end user must sign in again.")
    return claims


def end_user_ref_from_token(*, token: str, key: KeyContext) -> str:
    """The end user's public id from ``X-User-Token``, for ``EndUserAPIView``."""
    claims = end_user_token_claims(
        token=token, project_id=key.project_id, project_public_id=key.project_public_id, mode=key.mode
    )
    return claims["sub"]
