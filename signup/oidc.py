"""A small OpenID Connect relying party: authorization-code flow with state, nonce and PKCE.

Only what a sign-in button needs: discovery, the authorization URL, the code-for-tokens
request, ID-token verification against the provider's JWKS (PyJWT's PyJWKClient), and the
userinfo endpoint when the ID token does not carry the e-mail (providers that follow the
spec strictly, e.g. panva/oidc-provider, put scope claims only in userinfo).

Every outbound call has a timeout; failures raise ``OidcError`` with a message fit for the
end user's error page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.core.cache import cache

HTTP_TIMEOUT = 5
DISCOVERY_CACHE_SECONDS = 60 * 60
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


def _check_url(name: str, url: str) -> None:
    if not isinstance(url, str) or not (url.startswith("https://") or (insecure_issuers_allowed()
                                                                        and url.startswith("http://"))):
        raise OidcError(f"The provider's {name} must be an https:// URL.")


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


def _get_json(url: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT, **kwargs)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise OidcError(f"The sign-in provider did not answer correctly ({type(exc).__name__}).") from exc
    if not isinstance(data, dict):
        raise OidcError("The sign-in provider sent an unexpected answer.")
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
            raise OidcError(f"The discovery document names issuer {doc.get('issuer')!r}, not {issuer!r}.")
        missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not doc.get(k)]
        if missing:
            raise OidcError(f"The discovery document lacks {', '.join(missing)}.")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
            if doc.get(name):
                _check_url(name, doc[name])
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
    challenge = base64.urlsafe_b64encode(hashlib.sha256(pending.code_verifier.encode()).digest()).rstrip(b"=").decode()
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


_jwk_clients: dict[str, jwt.PyJWKClient] = {}
_jwk_clients_lock = threading.Lock()


def _jwk_client(jwks_uri: str) -> jwt.PyJWKClient:
    # One client per JWKS URL for the process: it caches the provider's keys and refetches
    # them when a token names a kid it has not seen (the provider rotated).
    with _jwk_clients_lock:
        client = _jwk_clients.get(jwks_uri)
        if client is None:
            client = jwt.PyJWKClient(jwks_uri, cache_keys=True, lifespan=DISCOVERY_CACHE_SECONDS, timeout=HTTP_TIMEOUT)
            _jwk_clients[jwks_uri] = client
    return client


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
    auth = None
    if "client_secret_basic" in metadata.token_auth_methods:
        auth = (client_id, client_secret)
    else:
        data.update(client_id=client_id, client_secret=client_secret)
    try:
        response = requests.post(
            metadata.token_endpoint, data=data, auth=auth, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"}
        )
        tokens = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise OidcError(f"The sign-in provider did not answer correctly ({type(exc).__name__}).") from exc
    if response.status_code != 200 or not isinstance(tokens, dict) or not tokens.get("id_token"):
        error = tokens.get("error") if isinstance(tokens, dict) else None
        raise OidcError(f"The sign-in provider refused the code ({error or response.status_code}).")

    id_token = tokens["id_token"]
    algorithms = [a for a in metadata.id_token_algorithms if a in ALLOWED_ID_TOKEN_ALGORITHMS]
    try:
        signing_key = _jwk_client(metadata.jwks_uri).get_signing_key_from_jwt(id_token)
        claims = jwt.decode(
            id_token,
            signing_key.key,
            algorithms=algorithms,
            audience=client_id,
            issuer=issuer,
            leeway=60,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
        raise OidcError(f"The sign-in provider's ID token could not be verified ({type(exc).__name__}).") from exc
    if not hmac.compare_digest(str(claims.get("nonce", "")), pending.nonce):
        raise OidcError("The sign-in provider's ID token is not for this sign-in (nonce mismatch).")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OidcError("The sign-in provider's ID token was issued to another client.")

    profile: dict[str, Any] = dict(claims)
    if not claims.get("email") and metadata.userinfo_endpoint and tokens.get("access_token"):
        userinfo = _get_json(metadata.userinfo_endpoint, headers={"Authorization": f"Bearer {tokens['access_token']}"})
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
