"""DRF authentication by API key.

``Authorization: Bearer sk_…`` (secret) or ``pk_…`` (publishable); without an
``Authorization`` header, ``X-Publishable-Key: pk_…`` (as the original service's clients
send it in browser mode). A missing, malformed, unknown or revoked key gets one and the same
401 so a caller learns nothing from the difference. The mode of the call comes from the key;
``X-Env``, when sent, must agree. An ``X-Publishable-Key`` sent beside a key in
``Authorization`` (the original's clients send both) must be that project's publishable key
of the same mode.

Wrong keys are not free to try: each client address may present
``FAILED_KEYS_PER_MINUTE`` wrong keys a minute (counted in Redis, shared by all servers);
the next gets 429 ``too_many_invalid_keys``, and until the window ends that address gets
429 instead of a database lookup for any key this process has not cached. A valid key
already in the cache keeps working, so a shared address is not locked out of a working app.
"""

from __future__ import annotations

import hmac
import re
import threading
import time
from collections.abc import Callable

from django.db.models import OuterRef, Subquery
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from dreamapi.clientip import client_ip
from dreamapi.errors import ApiError
from dreamapi.ratelimit import RateLimited, rate_limit_hit

from . import keycache
from .ids import key_digest
from .keycache import KeyContext
from .models import ApiKey, Mode

_KEY_RE = re.compile(r"^(pk|sk)_(test|live)_[A-Za-z0-9]{20,64}$")

# Wrong keys one client address may present per minute before it gets 429.
FAILED_KEYS_PER_MINUTE = 20


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
        "A valid API key is required: send 'Authorization: Bearer sk_…' (or X-Publishable-Key: pk_… "
        "where a publishable key is enough).",
        code="invalid_api_key",
        title="Unauthorized",
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="api"'},
    )


def _load(digest: str) -> KeyContext | None:
    publishable_key = ApiKey.objects.filter(
        project_id=OuterRef("project_id"), mode=OuterRef("mode"), kind=ApiKey.Kind.PUBLISHABLE,
        revoked_at__isnull=True,
    ).values("publishable_key")[:1]
    row = (
        ApiKey.objects.filter(digest=digest, revoked_at__isnull=True)
        .select_related("project__platform")
        .only(
            "id", "kind", "mode", "digest",
            "project__id", "project__public_id", "project__rate_limit_per_minute",
            "project__key_rate_limit_per_minute", "project__allowed_origins", "project__auto_create_end_users",
            "project__platform__id", "project__platform__public_id", "project__platform__paid_plan_active",
        )
        .annotate(sibling_publishable_key=Subquery(publishable_key))
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
        publishable_key=row.sibling_publishable_key or "",
        auto_create_end_users=project.auto_create_end_users,
    )


def resolve_key(raw_key: str, *, before_lookup: Callable[[], None] | None = None) -> KeyContext | None:
    """The key's context, or None for a malformed, unknown or revoked key.

    ``before_lookup`` runs only when the database must be asked (a cache miss); it may raise
    to refuse the lookup.
    """
    if not _KEY_RE.match(raw_key):
        return None
    digest = key_digest(raw_key)
    hit, context = keycache.get(digest)
    if not hit:
        if before_lookup is not None:
            before_lookup()
        context = _load(digest)
        keycache.put(digest, context)
    return context


def bearer_token(request: Request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


def presented_key(request: Request) -> tuple[str, str | None]:
    """(the key that authenticates, an ``X-Publishable-Key`` sent beside it or None).

    ``Authorization`` wins when it is sent at all; ``X-Publishable-Key`` alone authenticates
    like ``Authorization: Bearer pk_…``.
    """
    publishable = request.META.get("HTTP_X_PUBLISHABLE_KEY")
    if "HTTP_AUTHORIZATION" in request.META:
        return bearer_token(request), (publishable.strip() if publishable is not None else None)
    return (publishable or "").strip(), None


# --- failed keys, per client address --------------------------------------------------

_blocked_lock = threading.Lock()
_blocked: dict[str, float] = {}  # address -> time.monotonic() when its block ends (this process)
_MAX_BLOCKED = 10_000


def _check_not_blocked(address: str) -> None:
    until = _blocked.get(address)
    if until is not None and until > time.monotonic():
        raise _too_many_invalid_keys(max(1, int(until - time.monotonic()) + 1))


def _too_many_invalid_keys(retry_after: int) -> RateLimited:
    return RateLimited(f"Too many invalid API keys from your address; try again in {retry_after} s.",
                       retry_after=retry_after, code="too_many_invalid_keys")


def _key_failed(address: str) -> ApiError:
    """Count a wrong key against the address: the 401, or 429 once it has tried too many."""
    result = rate_limit_hit(scope=f"badkey:{address}", limit=FAILED_KEYS_PER_MINUTE)
    if result.allowed:
        return invalid_key()
    with _blocked_lock:
        if len(_blocked) >= _MAX_BLOCKED:
            now = time.monotonic()
            for stale in [a for a, until in _blocked.items() if until <= now]:
                del _blocked[stale]
            if len(_blocked) >= _MAX_BLOCKED:
                # Wrong keys from that many addresses at once: the shared counter still answers
                # 429 for each of them, only after a lookup again.
                _blocked.clear()
        _blocked[address] = time.monotonic() + result.retry_after
    return _too_many_invalid_keys(result.retry_after)


def failed_keys_forget() -> None:
    """Forget this process's blocked addresses (tests)."""
    with _blocked_lock:
        _blocked.clear()


def _check_key_rate_limit(context: KeyContext) -> None:
    """The project's optional limit per API key, over all its calls (opt-in: costs a Redis
    round trip only for projects that set it)."""
    result = rate_limit_hit(scope=f"k:{context.key_id}", limit=context.key_rate_limit_per_minute or 0)
    if not result.allowed:
        raise RateLimited(f"Too many requests with this API key; try again in {result.retry_after} s.",
                          retry_after=result.retry_after, code="key_rate_limited",
                          headers={"X-RateLimit-Scope": "key"})


def _check_publishable_key_header(context: KeyContext, raw_key: str, publishable: str) -> None:
    """``X-Publishable-Key`` beside ``Authorization`` must name the same project and mode."""
    expected = raw_key if context.kind == ApiKey.Kind.PUBLISHABLE else context.publishable_key
    if not (expected and hmac.compare_digest(publishable.encode(), expected.encode())):
        raise ApiError(
            "X-Publishable-Key is not the publishable key of the project and mode of the key in "
            "Authorization (it belongs to another project or mode, or has been regenerated). Send the "
            "matching publishable key, or leave the header out.",
            code="publishable_key_mismatch",
            title="Invalid request",
        )


class ApiKeyAuthentication(BaseAuthentication):
    """Accepts the key kinds in ``allowed_kinds``; publishable keys only where a view allows them."""

    allowed_kinds: frozenset[str] = frozenset({ApiKey.Kind.SECRET})

    def authenticate(self, request: Request) -> tuple[KeyPrincipal, KeyContext]:
        raw_key, publishable = presented_key(request)
        if not raw_key:
            raise invalid_key()
        # The address matters only to a key this process has not cached: parsed only then.
        context = resolve_key(raw_key, before_lookup=lambda: _check_not_blocked(client_ip(request)))
        if context is None:
            raise _key_failed(client_ip(request))
        if publishable is not None:
            _check_publishable_key_header(context, raw_key, publishable)
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
