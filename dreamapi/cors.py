"""CORS for the browser-safe endpoints only.

Endpoints a browser may call with the publishable key (the catalogue, and in browser mode
``/api/data``, ``/api/usage``, ``/api/create-checkout``, ``/api/customer-portal``) answer a
browser when its ``Origin`` is in the project's allowed origins. A preflight carries no key,
so it cannot be tied to a project: it is answered for any origin, and the real request then
gets ``Access-Control-Allow-Origin`` only if it was made with a publishable key whose
project allows that origin. Calls made with a secret key never get CORS headers, so a
browser can never read their answers (a secret key must not live in a browser anyway).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse

# Every request header the original service's clients and ours send from a browser.
ALLOWED_HEADERS = ", ".join([
    "Authorization", "Content-Type", "Idempotency-Key", "X-Env", "X-Publishable-Key",
    "X-User-Token", "X-Clerk-Token", "X-End-User-Token", "X-User-Plan",
])
# Response headers a browser app may read (rate limits, and when to retry).
EXPOSED_HEADERS = ("Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-RateLimit-Scope, "
                   "Idempotent-Replayed")
PREFLIGHT_MAX_AGE = "600"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, lower-cased, default port left out;
    None for anything else (relative, other schemes, user-info, a bad port)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host or "@" in parts.netloc:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def origin_allowed(origin: str | None, allowed_origins: Iterable[str]) -> bool:
    normalized = url_origin(origin) if origin else None
    return normalized is not None and normalized in {url_origin(o) for o in allowed_origins}


def preflight_response(request: HttpRequest, *, methods: Iterable[str]) -> HttpResponse:
    response = HttpResponse(status=204)
    origin = request.headers.get("Origin")
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = ", ".join(sorted({m.upper() for m in methods} | {"OPTIONS"}))
        response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        response["Vary"] = "Origin"
    return response


def add_cors_headers(request: HttpRequest, response: HttpResponse, allowed_origins: tuple[str, ...]) -> None:
    origin = request.headers.get("Origin")
    if origin and origin_allowed(origin, allowed_origins):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response["Vary"] = "Origin"
