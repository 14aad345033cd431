"""Error answers that work when nothing else does: no template, no session, no database.

Under ``/api/`` (``errors.is_api_path``) an error is the JSON error shape; everywhere else a
plain HTML page. The kernel answers with these before a view runs (refused input, oversized
requests, a throttled admin login) and when a dependency is down, so they must not touch the
things that may be failing.
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.views import defaults

from . import outages
from .errors import is_api_path, json_error_response

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2933}}
h1{{font-size:1.4rem}}</style></head>
<body><h1>{title}</h1><p>{message}</p></body></html>
"""


def plain_page(status: int, title: str, message: str) -> HttpResponse:
    return HttpResponse(_PAGE.format(title=escape(title), message=escape(message)), status=status,
                        content_type="text/html; charset=utf-8")


def error_response(request: HttpRequest, status: int, title: str, message: str, code: str, *,
                   headers: dict[str, str] | None = None) -> HttpResponse:
    """Our JSON error shape under /api/, a plain page elsewhere."""
    if is_api_path(request.path):
        response: HttpResponse = json_error_response(status, title, message, code)
    else:
        response = plain_page(status, title, message)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def dependency_unavailable(request: HttpRequest, dependency: str, exc: BaseException) -> HttpResponse:
    """503 ``dependency_unavailable`` with ``Retry-After``; the outage is logged once per interval."""
    outages.report(dependency, exc)
    response = error_response(
        request, 503, "Service unavailable",
        "A service we depend on is unavailable; please try again shortly.", "dependency_unavailable",
        headers={"Retry-After": str(outages.RETRY_AFTER_SECONDS)},
    )
    # Django logs every 5xx with its traceback (django.request); outages.report already
    # logged this one, at most once per interval.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: an exception no view handled, e.g. one raised inside a middleware.

    A dependency outage is a 503 here too (the session middleware saving to a database that
    is down, say); anything else is Django's own 500 page.
    """
    exc = sys.exc_info()[1]
    dependency = outages.dependency_of(exc) if exc is not None else None
    if dependency is not None:
        return dependency_unavailable(request, dependency, exc)
    return defaults.server_error(request)
