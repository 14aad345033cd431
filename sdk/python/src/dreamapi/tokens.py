"""Verify end-user tokens offline, with the project's JWKS.

The hosted sign-in gives each end user a JWT signed with ES256 by a key of your project; its
public keys are at ``<base_url>/.well-known/jwks/<project id>.json``. A backend can trust a
token without calling dream-api: the JWKS is fetched once, kept for its ``max-age`` (5
minutes by default), and fetched again at once when a token names a key id it has not seen
(the project rotated its signing key), at most once per ``min_refetch_interval`` so forged key
ids cannot make it hammer the server.

Offline verification cannot see a revocation: a revoked token keeps verifying until it expires
(at most an hour). For revocation-sensitive actions, call the API with the token instead.

The token carries the end user's entitlements when it was issued: ``claims.plan``,
``claims.features`` (``{"api_calls": 10000, "exports": 50, "storage": None, "sso": True}``:
a metered feature's limit per period, ``None`` for unlimited; an on/off feature's bool) and
``claims.entitlement_version``, which goes up with every plan change. Gate a feature offline
with ``claims.has_feature("sso")``; when a ``plan.changed`` webhook names a newer version than
the token's, get the end user a fresh token (``auth.refresh``). Counting uses still needs the
API (``usage.track``): the token says what the plan allows, not what is left.

Needs PyJWT with cryptography: ``pip install 'dreamapi[jwt]'``.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .errors import DreamAPIError
from .models import Entitlement, entitled, entitlements_from_api

DEFAULT_MAX_AGE = 300.0
_MAX_AGE = re.compile(r"max-age=(\d+)")


@dataclass(frozen=True)
class EndUserClaims:
    """A verified token's claims: ``sub`` is the end user's id (``usr_…``)."""

    sub: str
    project_id: str
    mode: str
    plan: str
    publishable_key: str
    issued_at: int
    expires_at: int
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    features: Mapping[str, Entitlement] = field(default_factory=dict)
    entitlement_version: int = 1

    def has_feature(self, feature: str) -> bool:
        """Whether the end user's plan (when the token was issued) grants ``feature``: an on/off
        feature that is on, or a metered one with a limit above 0."""
        return entitled(self.features, feature)

    def feature_limit(self, feature: str) -> int | None:
        """A metered feature's limit per period (``None``: unlimited); ``0`` when not granted."""
        value = self.features.get(feature, 0)
        return int(value) if isinstance(value, bool) else value


class InvalidToken(DreamAPIError):
    """The token is not a valid end-user token of this project (a ``DreamAPIError``, status 401)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=401, code="invalid_user_token", error="Invalid end-user token")


def _jwt() -> Any:
    try:
        import jwt
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError("verifying tokens needs PyJWT: pip install 'dreamapi[jwt]'") from exc
    return jwt


class _Keys:
    """The JWKS cache shared by the sync and async verifiers."""

    def __init__(self, min_refetch_interval: float) -> None:
        self.keys: dict[str, Any] = {}
        self.expires = 0.0
        self.fetched = float("-inf")
        self.min_refetch_interval = min_refetch_interval

    def needs_fetch(self, kid: str) -> bool:
        now = time.monotonic()
        if now >= self.expires:
            return True
        return kid not in self.keys and now - self.fetched >= self.min_refetch_interval

    def store(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            raise DreamAPIError(f"JWKS answered HTTP {response.status_code}", status=response.status_code,
                                code="jwks_unavailable")
        jwt = _jwt()
        keys = {}
        for jwk in response.json().get("keys", []):
            if jwk.get("kid") and jwk.get("alg", "ES256") == "ES256":
                keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="ES256")
        match = _MAX_AGE.search(response.headers.get("Cache-Control", ""))
        now = time.monotonic()
        self.keys = keys
        self.fetched = now
        self.expires = now + (float(match.group(1)) if match else DEFAULT_MAX_AGE)


def _kid(token: str) -> str:
    try:
        header = _jwt().get_unverified_header(token)
    except Exception as exc:
        raise InvalidToken("The token is not a JWT.") from exc
    if header.get("alg") != "ES256" or not header.get("kid"):
        raise InvalidToken("The token is not signed with ES256 by a project key.")
    return str(header["kid"])


def _claims(token: str, key: Any, *, project_id: str, issuer: str | None, mode: str | None,
            leeway: float) -> EndUserClaims:
    jwt = _jwt()
    try:
        payload = jwt.decode(token, key, algorithms=["ES256"], audience=project_id, issuer=issuer, leeway=leeway,
                             options={"require": ["exp", "iat", "sub", "aud"], "verify_iss": issuer is not None})
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"The token did not verify: {exc}") from exc
    if mode is not None and payload.get("mode") != mode:
        raise InvalidToken(f"The token is of {payload.get('mode')} mode, not {mode}.")
    return EndUserClaims(sub=str(payload["sub"]), project_id=project_id, mode=str(payload.get("mode", "")),
                         plan=str(payload.get("plan", "")), publishable_key=str(payload.get("pk", "")),
                         issued_at=int(payload["iat"]), expires_at=int(payload["exp"]), raw=payload,
                         features=entitlements_from_api(payload.get("features")),
                         entitlement_version=int(payload.get("ent_ver") or 1))


class _Verifier:
    """What the sync and async verifiers share: the project, the checks, the key cache."""

    def __init__(self, *, base_url: str, project_id: str, issuer: str | None, mode: str | None, leeway: float,
                 min_refetch_interval: float) -> None:
        self.project_id = project_id
        self.jwks_url = f"{base_url.rstrip('/')}/.well-known/jwks/{project_id}.json"
        self.issuer = issuer if issuer is not None else base_url.rstrip("/")
        self.mode = mode
        self.leeway = leeway
        self._keys = _Keys(min_refetch_interval)

    def _check(self, token: str, key: Any) -> EndUserClaims:
        if key is None:
            raise InvalidToken("The token's key is not one of the project's keys.")
        return _claims(token, key, project_id=self.project_id, issuer=self.issuer, mode=self.mode, leeway=self.leeway)


class TokenVerifier(_Verifier):
    """Verifies end-user tokens of one project offline. Keep one per process (it holds the cache).

    >>> verifier = TokenVerifier(base_url="https://api.example.com", project_id="prj_…", mode="live")
    >>> claims = verifier.verify(token)   # raises InvalidToken
    >>> claims.sub                        # "usr_…"
    """

    def __init__(self, *, base_url: str, project_id: str, issuer: str | None = None, mode: str | None = None,
                 leeway: float = 30.0, min_refetch_interval: float = 30.0,
                 http_client: httpx.Client | None = None) -> None:
        super().__init__(base_url=base_url, project_id=project_id, issuer=issuer, mode=mode, leeway=leeway,
                         min_refetch_interval=min_refetch_interval)
        self._client = http_client or httpx.Client(timeout=10.0)
        self._lock = threading.Lock()

    def verify(self, token: str) -> EndUserClaims:
        kid = _kid(token)
        with self._lock:
            if self._keys.needs_fetch(kid):
                self._keys.store(self._client.get(self.jwks_url))
            key = self._keys.keys.get(kid)
        return self._check(token, key)


class AsyncTokenVerifier(_Verifier):
    """``TokenVerifier`` for asyncio: ``await verifier.verify(token)``."""

    def __init__(self, *, base_url: str, project_id: str, issuer: str | None = None, mode: str | None = None,
                 leeway: float = 30.0, min_refetch_interval: float = 30.0,
                 http_client: httpx.AsyncClient | None = None) -> None:
        super().__init__(base_url=base_url, project_id=project_id, issuer=issuer, mode=mode, leeway=leeway,
                         min_refetch_interval=min_refetch_interval)
        self._client = http_client or httpx.AsyncClient(timeout=10.0)
        self._lock = asyncio.Lock()

    async def verify(self, token: str) -> EndUserClaims:
        kid = _kid(token)
        async with self._lock:
            if self._keys.needs_fetch(kid):
                self._keys.store(await self._client.get(self.jwks_url))
            key = self._keys.keys.get(kid)
        return self._check(token, key)
