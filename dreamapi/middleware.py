"""The kernel's middleware: the edge guard, JSON errors under /api/, and the admin login throttle."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse

from . import outages, pages
from .clientip import client_ip
from .errors import is_api_path, json_error_response
from .jsonparse import text_problem
from .ratelimit import rate_limit_hit, rate_limit_peek

logger = logging.getLogger("dreamapi.api")


def _unstorable(text: str) -> bool:
    """True when PostgreSQL could not store ``text``: a NUL, or (non-ASCII only) a lone surrogate."""
    return "\x00" in text or (not text.isascii() and text_problem(text) is not None)


_BARE_HEADERS = ("CONTENT_TYPE", "CONTENT_LENGTH")  # the headers WSGI names without "HTTP_"


def _header_name(meta_key: str) -> str:
    return meta_key.removeprefix("HTTP_").replace("_", "-").title()


class RequestGuardMiddleware:
    """Refuses, before any other middleware or view runs, a request no view could answer or store.

    - the path and query string together longer than ``MAX_REQUEST_TARGET_BYTES``: 414
      ``uri_too_long``;
    - a header line (name, ``": "``, value) longer than ``MAX_REQUEST_HEADER_BYTES``: 431
      ``header_too_large``;
    - a NUL character or a lone UTF-16 surrogate in the path (``/api/customers/usr_%00x``), a
      ``%00`` in the query string, a NUL in a header or in a form-encoded body: 400
      ``invalid_path``/``invalid_query``/``invalid_header``/``invalid_body``. PostgreSQL's text
      type cannot hold a NUL, so any lookup with one would fail as a 500.

    Under /api/ the answer is the JSON error shape, elsewhere a plain page. The server's own
    limits (gunicorn, ``dreamapi/gunicorn_conf.py``) are set above these, so a request between
    the two gets our answer instead of the server's HTML. JSON bodies are checked by the
    strict parser (``dreamapi.jsonparse``).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.max_target = settings.MAX_REQUEST_TARGET_BYTES
        self.max_header = settings.MAX_REQUEST_HEADER_BYTES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        meta = request.META
        path = request.path_info
        query = meta.get("QUERY_STRING", "")
        raw_target = meta.get("RAW_URI")  # gunicorn: the target as sent, still percent-encoded
        target_bytes = len(raw_target) if raw_target is not None else len(path) + len(query) + 1
        if target_bytes > self.max_target:
            return pages.error_response(
                request, 414, "URI too long",
                f"The path and query string may be at most {self.max_target} bytes long.", "uri_too_long")

        # Every request pays for this: one pass over the headers; a name is looked up only to refuse.
        headers = [(k, v) for k, v in meta.items() if (k[:5] == "HTTP_" or k in _BARE_HEADERS) and type(v) is str]
        longest = max((len(k) - 3 + len(v) for k, v in headers), default=0)  # "Name: value"; META adds "HTTP_"
        if longest > self.max_header:
            key = next(k for k, v in headers if len(k) - 3 + len(v) == longest)
            return pages.error_response(
                request, 431, "Request header fields too large",
                f"The {_header_name(key)} header may be at most {self.max_header} bytes long.", "header_too_large")
        if "\x00" in "".join(v for _, v in headers):
            key = next(k for k, v in headers if "\x00" in v)
            return self._bad_request(request, f"The {_header_name(key)} header may not contain the NUL character.",
                                     "invalid_header")

        if _unstorable(path):
            return self._bad_request(
                request, "The path may not contain the NUL character (%00) or a lone UTF-16 surrogate.", "invalid_path")
        if "%00" in query or _unstorable(query):
            return self._bad_request(request, "The query string may not contain the NUL character (%00).",
                                     "invalid_query")
        if (request.method == "POST"
                and meta.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
                and (b"%00" in request.body or b"\x00" in request.body)):
            return self._bad_request(request, "The form may not contain the NUL character (%00).", "invalid_body")
        return None

    @staticmethod
    def _bad_request(request: HttpRequest, message: str, code: str) -> HttpResponse:
        return pages.error_response(request, 400, "Bad request", message, code)


_STATUS_TITLES = {
    400: ("Bad request", "bad_request"),
    403: ("Forbidden", "forbidden"),
    404: ("Not found", "not_found"),
    405: ("Method not allowed", "method_not_allowed"),
    413: ("Payload too large", "payload_too_large"),
    500: ("Server error", "server_error"),
}

# Exceptions Django itself turns into a 4xx (its handler400/403/404): left to Django, and
# the HTML it renders becomes JSON on the way out.
_DJANGO_CLIENT_ERRORS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)


class ApiJsonErrorsMiddleware:
    """JSON everywhere under /api/: errors Django would render as HTML become the API shape.

    Also the one place an outage becomes a 503: a view failing because PostgreSQL or Redis
    is unreachable answers ``dependency_unavailable`` (JSON under /api/, a page elsewhere),
    logged once per interval (``dreamapi.outages``) instead of a traceback per request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_path(request.path):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # File uploads (multipart) may be larger than other bodies; Django still caps their
        # non-file fields at DATA_UPLOAD_MAX_MEMORY_SIZE and streams files to disk.
        is_upload = request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/form-data")
        limit = settings.API_MAX_UPLOAD_BYTES if is_upload else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length > limit:
            return json_error_response(
                413, "Payload too large", f"The request body is larger than {limit} bytes.", "payload_too_large",
            )
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and not content_type.startswith("application/json"):
            title, code = _STATUS_TITLES.get(response.status_code, ("Error", "error"))
            message = {
                404: f"No endpoint at {request.path}.",
                405: f"{request.method} is not allowed on {request.path}.",
                500: "Something went wrong on our side; it has been logged.",
            }.get(response.status_code, title)
            json_response = json_error_response(response.status_code, title, message, code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    json_response[header] = response[header]
            return json_response
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        dependency = outages.dependency_of(exception)
        if dependency is not None:
            return pages.dependency_unavailable(request, dependency, exception)
        if not is_api_path(request.path) or isinstance(exception, _DJANGO_CLIENT_ERRORS):
            return None
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return json_error_response(500, "Server error", "Something went wrong on our side; it has been logged.",
                                   "server_error")


class AdminLoginThrottleMiddleware:
    """Failed sign-ins at /admin/login/ are limited per client address.

    After ``ADMIN_LOGIN_MAX_FAILURES`` failures within ``ADMIN_LOGIN_WINDOW_SECONDS`` the page
    answers 429 with ``Retry-After`` until the window ends, without checking the password,
    so a guess can't be confirmed while throttled. A failure is the login form shown again
    (200) after a POST; a success redirects.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._login_path: str | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return self.get_response(request)
        if self._login_path is None:
            self._login_path = reverse("admin:login")
        if request.path_info != self._login_path:
            return self.get_response(request)

        limits = {"scope": f"admin-login:{client_ip(request)}", "limit": settings.ADMIN_LOGIN_MAX_FAILURES,
                  "window": settings.ADMIN_LOGIN_WINDOW_SECONDS}
        state = rate_limit_peek(**limits)
        if not state.allowed:
            return pages.error_response(
                request, 429, "Too many failed sign-ins",
                f"Too many failed sign-ins from your address; try again in {state.retry_after} s.", "rate_limited",
                headers={"Retry-After": str(state.retry_after)})
        response = self.get_response(request)
        if response.status_code == 200:
            rate_limit_hit(**limits)
        return response
