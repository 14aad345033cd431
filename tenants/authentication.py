"""DRF authentication by API key.

``Authorization: Bearer sk_…`` (secret) or ``pk_…`` (publishable). A missing, malformed,
unknown or revoked key gets one and the same 401 so a caller learns nothing from the
difference. The mode of the call comes from the key; ``X-Env``, when sent, must agree.
"""

from __future__ import annotations

import hmac
import re

from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from dreamapi.errors import ApiError
from dreamapi.ratelimit import RateLimited, rate_limit_hit

from . import keycache
from .ids import key_digest
from .keycache import KeyContext
from .models import ApiKey, Mode

_KEY_RE = re.compile(r"^(pk|sk)_(test|live)_[A-Za-z0-9]{20,64}$")


class KeyPrincipal:
    """``request.user`` for key-authenticated calls: the project, not a person."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, context: KeyContext) -> None:
        self.context = context

    def __str__(self) -> str:
        return f"{self.context.project_public_id}:{self.context.mode}"


def invalid_key() -> ApiError:
    return ApiError(
        "A valid API key is required: send 'Authorization: Bearer sk_…'.",
        code="invalid_api_key",
        title="Unauthorized",
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


def _load(digest: str) -> KeyContext | None:
    row = (
        ApiKey.objects.filter(digest=digest, revoked_at__isnull=True)
        .select_related("project__platform")
        .only(
            "id", "kind", "mode", "digest",
            "project__id", "project__public_id", "project__rate_limit_per_minute",
            "project__key_rate_limit_per_minute", "project__allowed_origins",
            "project__platform__id", "project__platform__public_id", "project__platform__paid_plan_active",
        )
        .first()
    )
    # The lookup is by digest; compare it once more in constant time so no code path
    # depends on a short-circuiting string comparison of key material.
    if row is None or not hmac.compare_digest(row.digest, digest):
        return None
    project = row.project
    return KeyContext(
        key_id=row.id,
        kind=row.kind,
        mode=row.mode,
        project_id=project.id,
        project_public_id=project.public_id,
        platform_id=project.platform.id,
        platform_public_id=project.platform.public_id,
        platform_paid=project.platform.paid_plan_active,
        rate_limit_per_minute=project.rate_limit_per_minute,
        key_rate_limit_per_minute=project.key_rate_limit_per_minute,
        allowed_origins=tuple(project.allowed_origins or ()),
    )


def resolve_key(raw_key: str) -> KeyContext | None:
    if not _KEY_RE.match(raw_key):
        return None
    digest = key_digest(raw_key)
    hit, context = keycache.get(digest)
    if not hit:
        context = _load(digest)
        keycache.put(digest, context)
    return context


def bearer_token(request: Request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


def _check_key_rate_limit(context: KeyContext) -> None:
    """The project's optional limit per API key, over all its calls (opt-in: costs a Redis
    round trip only for projects that set it)."""
    result = rate_limit_hit(scope=f"k:{context.key_id}", limit=context.key_rate_limit_per_minute or 0)
    if not result.allowed:
        raise RateLimited(f"Too many requests with this API key; try again in {result.retry_after} s.",
                          retry_after=result.retry_after, code="key_rate_limited",
                          headers={"X-RateLimit-Scope": "key"})


class ApiKeyAuthentication(BaseAuthentication):
    """Accepts the key kinds in ``allowed_kinds``; publishable keys only where a view allows them."""

    allowed_kinds: frozenset[str] = frozenset({ApiKey.Kind.SECRET})

    def authenticate(self, request: Request) -> tuple[KeyPrincipal, KeyContext]:
        context = resolve_key(bearer_token(request))
        if context is None:
            raise invalid_key()
        if context.kind not in self.allowed_kinds:
            raise ApiError(
                "This endpoint needs your secret key (sk_…); publishable keys only read public data.",
                code="secret_key_required",
                title="Forbidden",
                status_code=403,
            )
        env_header = request.META.get("HTTP_X_ENV")
        if env_header is not None:
            env_header = env_header.strip().lower()
            if env_header not in Mode.values:
                raise ApiError("X-Env must be 'test' or 'live'.", code="invalid_env", title="Invalid request")
            if env_header != context.mode:
                raise ApiError(
                    f"X-Env is '{env_header}' but the key is a {context.mode} key.",
                    code="mode_mismatch",
                    title="Invalid request",
                )
        if context.mode == Mode.LIVE and not context.platform_paid:
            raise ApiError(
                "Live keys work only while your dream-api plan is active. Use your test keys, or subscribe "
                "from the dashboard.",
                code="live_mode_requires_paid_plan",
                title="Forbidden",
                status_code=403,
            )
        if context.key_rate_limit_per_minute:
            _check_key_rate_limit(context)
        return KeyPrincipal(context), context

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class SecretKeyAuthentication(ApiKeyAuthentication):
    allowed_kinds = frozenset({ApiKey.Kind.SECRET})


class PublicKeyAuthentication(ApiKeyAuthentication):
    allowed_kinds = frozenset({ApiKey.Kind.SECRET, ApiKey.Kind.PUBLISHABLE})
