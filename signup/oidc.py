"""A small OpenID Connect relying party: authorization-code flow with state, nonce and PKCE.

Only what a sign-in button needs: discovery, the authorization URL, the code-for-tokens
request, ID-token verification against the provider's JWKS (PyJWT's PyJWKClient), and the
userinfo endpoint when the ID token does not carry the e-mail (providers that follow the
spec strictly, e.g. panva/oidc-provider, put scope claims only in userinfo).

Every outbound call goes through ``dreamapi.safehttp``: the issuer is a URL a developer
typed, so its discovery document, JWKS, token and userinfo endpoints must not lead our server
to internal addresses, redirects are not followed, and failures raise ``OidcError`` with a
generic message (never the fetched body or an exception type) fit for the end user's error
page and the dashboard.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import jwt
from django.conf import settings
from django.core.cache import cache

from dreamapi import safehttp

from . import pkce

DISCOVERY_CACHE_SECONDS = 60 * 60
# A token signed with a kid not in the cached JWKS makes us refetch it (the provider rotated),
# at most this often per JWKS URL.
JWKS_REFETCH_SECONDS = 60
SCOPES = "openid email profile"
# Asymmetric algorithms only: an HS256 ID token would be "signed" with our client secret,
# and accepting "none" would accept anything.
ALLOWED_ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


class OidcError(Exception):
    """The provider could not be used, or its answer could not be trusted."""


def insecure_issuers_allowed() -> bool:
    """Whether http:// issuers and endpoints are accepted: only in development and tests.

    In production every provider URL must be https, which also keeps a developer from
    pointing our server at plain-http services on its own network.
    """
    return bool(getattr(settings, "SIGNUP_OIDC_ALLOW_HTTP", settings.DEBUG or getattr(settings, "TESTING", False)))


def _schemes() -> tuple[str, ...]:
    return ("https", "http") if insecure_issuers_allowed() else ("https",)


def _check_url(name: str, url: str, *, fetched: bool = True) -> None:
    """The URL's scheme, and for URLs our server fetches, its addresses (safehttp)."""
    if not isinstance(url, str) or not url.startswith(tuple(f"{s}://" for s in _schemes())):
        raise OidcError(f"The provider's {name} must be an https:// URL.")
    if fetched:
        try:
            safehttp.check_url(url, schemes=_schemes())
        except safehttp.UnsafeRequest as exc:
            raise OidcError(f"The provider's {name} cannot be used: {exc}") from exc


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    id_token_algorithms: tuple[str, ...]
    token_auth_methods: tuple[str, ...]


@dataclass(frozen=True)
class PendingAuthorization:
    """What the callback needs to finish the flow; kept in the end user's session."""

    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class OidcUser:
    issuer: str
    subject: str
    email: str
    email_verified: bool
    given_name: str
    family_name: str


def _fetch(method: str, url: str, **kwargs: Any) -> safehttp.Response:
    try:
        return safehttp.request(method, url, schemes=_schemes(), **kwargs)
    except safehttp.UnsafeRequest as exc:
        raise OidcError(f"The sign-in provider could not be used: {exc}") from exc


def _json_object(response: safehttp.Response) -> dict[str, Any] | None:
    try:
        data = response.json()
    except safehttp.UnsafeRequest:
        return None
    return data if isinstance(data, dict) else None


def _get_json(url: str, *, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = _fetch("GET", url, headers={"Accept": "application/json", **(headers or {})})
    data = _json_object(response)
    if response.status != 200 or data is None:
        # The status only: what an arbitrary URL answered is not ours to repeat.
        raise OidcError(f"The sign-in provider did not answer correctly (HTTP {response.status}).")
    return data


def provider_metadata(*, issuer: str, use_cache: bool = True) -> ProviderMetadata:
    """The provider's discovery document, checked to be the issuer's own, cached for an hour."""
    cache_key = "signup:oidc:discovery:" + hashlib.sha256(issuer.encode()).hexdigest()
    doc = cache.get(cache_key) if use_cache else None
    if doc is None:
        _check_url("issuer", issuer)
        doc = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        # OpenID Connect Discovery §4.3: the issuer in the document must be exactly the one asked for.
        if doc.get("issuer") != issuer:
            raise OidcError("The discovery document names another issuer (check the exact URL, including any "
                            "trailing slash).")
        missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not doc.get(k)]
        if missing:
            raise OidcError(f"The discovery document lacks {', '.join(missing)}.")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
            if doc.get(name):
                # The browser, not our server, goes to the authorization endpoint.
                _check_url(name, doc[name], fetched=name != "authorization_endpoint")
        cache.set(cache_key, doc, DISCOVERY_CACHE_SECONDS)
    return ProviderMetadata(
        issuer=doc["issuer"],
        authorization_endpoint=doc["authorization_endpoint"],
        token_endpoint=doc["token_endpoint"],
        jwks_uri=doc["jwks_uri"],
        userinfo_endpoint=doc.get("userinfo_endpoint") or "",
        id_token_algorithms=tuple(doc.get("id_token_signing_alg_values_supported") or ("RS256",)),
        token_auth_methods=tuple(doc.get("token_endpoint_auth_methods_supported") or ("client_secret_basic",)),
    )


def authorization_start(*, issuer: str, client_id: str, callback_url: str) -> tuple[str, PendingAuthorization]:
    """The URL to send the browser to, and what to remember until the callback."""
    metadata = provider_metadata(issuer=issuer)
    pending = PendingAuthorization(
        state=secrets.token_urlsafe(24), nonce=secrets.token_urlsafe(24), code_verifier=secrets.token_urlsafe(48)
    )
    challenge = pkce.s256(pending.code_verifier)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": callback_url,
            "scope": SCOPES,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in metadata.authorization_endpoint else "?"
    return f"{metadata.authorization_endpoint}{separator}{query}", pending


def _jwks_cache_key(jwks_uri: str) -> str:
    return "signup:oidc:jwks:" + hashlib.sha256(jwks_uri.encode()).hexdigest()


def _signing_key(*, jwks_uri: str, id_token: str) -> jwt.PyJWK:
    """The provider's key for ``id_token`` (by ``kid``), from its JWKS cached for an hour and
    refetched when the token names a kid the cached copy lacks (the provider rotated)."""
    try:
        kid = jwt.get_unverified_header(id_token).get("kid")
    except jwt.InvalidTokenError as exc:
        raise OidcError("The sign-in provider's ID token could not be read.") from exc
    cache_key = _jwks_cache_key(jwks_uri)
    data = cache.get(cache_key)
    for fresh in (False, True):
        if data is None or fresh:
            if fresh and not cache.add(f"{cache_key}:refetched", 1, JWKS_REFETCH_SECONDS):
                break
            data = _get_json(jwks_uri)
            cache.set(cache_key, data, DISCOVERY_CACHE_SECONDS)
        try:
            keys = [k for k in jwt.PyJWKSet.from_dict(data).keys if k.public_key_use in (None, "sig")]
        except (jwt.PyJWKSetError, jwt.InvalidKeyError, KeyError, TypeError, ValueError):
            keys = []
        matching = [k for k in keys if k.key_id == kid] if kid else keys[:1] if len(keys) == 1 else []
        if matching:
            return matching[0]
    raise OidcError("The sign-in provider's ID token is signed with a key it does not publish.")


def _email_verified(value: Any) -> bool:
    # Some providers (older Cognito, some Azure setups) send the string "true".
    return value is True or (isinstance(value, str) and value.lower() == "true")


def authorization_finish(
    *, issuer: str, client_id: str, client_secret: str, callback_url: str, pending: PendingAuthorization, code: str
) -> OidcUser:
    """Trade the code for tokens, verify the ID token and return who signed in."""
    metadata = provider_metadata(issuer=issuer)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": callback_url,
        "code_verifier": pending.code_verifier,
    }
    headers = {"Accept": "application/json"}
    if "client_secret_basic" in metadata.token_auth_methods:
        # RFC 6749 §2.3.1: both parts form-urlencoded before base64.
        pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    else:
        data.update(client_id=client_id, client_secret=client_secret)
    response = _fetch("POST", metadata.token_endpoint, form=data, headers=headers)
    tokens = _json_object(response)
    if response.status != 200 or tokens is None or not isinstance(tokens.get("id_token"), str):
        raise OidcError(f"The sign-in provider refused the code (HTTP {response.status}).")

    id_token = tokens["id_token"]
    algorithms = [a for a in metadata.id_token_algorithms if a in ALLOWED_ID_TOKEN_ALGORITHMS]
    signing_key = _signing_key(jwks_uri=metadata.jwks_uri, id_token=id_token)
    try:
        claims = jwt.decode(
            id_token,
            signing_key.key,
            algorithms=algorithms,
            audience=client_id,
            issuer=issuer,
            leeway=60,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.InvalidTokenError as exc:
        raise OidcError("The sign-in provider's ID token could not be verified.") from exc
    if not hmac.compare_digest(str(claims.get("nonce", "")), pending.nonce):
        raise OidcError("The sign-in provider's ID token is not for this sign-in (nonce mismatch).")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OidcError("The sign-in provider's ID token was issued to another client.")

    profile: dict[str, Any] = dict(claims)
    access_token = tokens.get("access_token")
    if not claims.get("email") and metadata.userinfo_endpoint and isinstance(access_token, str) \
            and access_token.isprintable():
        userinfo = _get_json(metadata.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"})
        # OpenID Connect Core §5.3.2: userinfo is about the ID token's subject, or it is ignored.
        if userinfo.get("sub") != claims["sub"]:
            raise OidcError("The sign-in provider's user info is about another account.")
        profile.update(userinfo)
    email = profile.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise OidcError("The sign-in provider did not share an e-mail address.")
    return OidcUser(
        issuer=issuer,
        subject=str(claims["sub"]),
        email=email.strip(),
        email_verified=_email_verified(profile.get("email_verified")),
        given_name=str(profile.get("given_name") or "")[:100],
        family_name=str(profile.get("family_name") or "")[:100],
    )
