"""CORS for the browser-safe endpoints only.

Publishable-key endpoints answer a browser when its ``Origin`` is in the project's allowed
origins. A preflight carries no key, so it cannot be tied to a project: it is answered for
any origin, and the real request then gets ``Access-Control-Allow-Origin`` only if the key's
project allows that origin. Secret-key endpoints never send CORS headers, so a browser can
never read their answers (a secret key must not live in a browser anyway).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

ALLOWED_HEADERS = "Authorization, Content-Type, X-Env, X-User-Token"
PREFLIGHT_MAX_AGE = "600"


def preflight_response(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(status=204)
    origin = request.headers.get("Origin")
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, OPTIONS"
        response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        response["Vary"] = "Origin"
    return response


def add_cors_headers(request: HttpRequest, response: HttpResponse, allowed_origins: tuple[str, ...]) -> None:
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/") in allowed_origins:
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
