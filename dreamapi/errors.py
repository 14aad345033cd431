"""One error type for the application and one JSON error shape for the API.

Every error under ``/api/`` looks like::

    {"error": "Tier limit reached", "message": "Please upgrade", "code": "tier_limit_reached"}

with optional extra keys (``fields`` for validation errors, ``usage`` for limits).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A failure a service reports to its caller: a code, a title and a human message.

    Services raise it; the API's exception handler and the dashboard views turn it into
    a response. ``retryable`` tells callers (and Celery tasks) whether trying again can help.
    """

    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid_request",
        title: str = "Invalid request",
        status_code: int | None = None,
        retryable: bool = False,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.title = title
        if status_code is not None:
            self.status_code = status_code
        self.retryable = retryable
        self.extra = extra or {}
        self.headers = headers or {}

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.title, "message": self.message, "code": self.code, **self.extra}


class NotFound(ApiError):
    status_code = 404

    def __init__(self, message: str = "Not found.", *, code: str = "not_found") -> None:
        super().__init__(message, code=code, title="Not found")


class Conflict(ApiError):
    status_code = 409

    def __init__(self, message: str, *, code: str = "conflict", **kwargs: Any) -> None:
        super().__init__(message, code=code, title=kwargs.pop("title", "Conflict"), **kwargs)


def error_body(title: str, message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"error": title, "message": message, "code": code, **extra}


def _flatten_validation(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested ValidationError detail → {"field.sub": ["message", ...]}."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                name = prefix or "body"
            fields.update(_flatten_validation(value, name))
    elif isinstance(detail, list) and detail and all(isinstance(d, (dict, list)) for d in detail):
        for index, value in enumerate(detail):
            fields.update(_flatten_validation(value, f"{prefix}[{index}]"))
    elif isinstance(detail, list):
        fields[prefix or "body"] = [str(d) for d in detail]
    else:
        fields[prefix or "body"] = [str(detail)]
    return {k: v for k, v in fields.items() if v}


_DRF_CODES = {
    exceptions.NotAuthenticated: ("Unauthorized", "unauthorized"),
    exceptions.AuthenticationFailed: ("Unauthorized", "unauthorized"),
    exceptions.PermissionDenied: ("Forbidden", "forbidden"),
    exceptions.NotFound: ("Not found", "not_found"),
    exceptions.MethodNotAllowed: ("Method not allowed", "method_not_allowed"),
    exceptions.NotAcceptable: ("Not acceptable", "not_acceptable"),
    exceptions.UnsupportedMediaType: ("Unsupported media type", "unsupported_media_type"),
    exceptions.Throttled: ("Too many requests", "rate_limited"),
    exceptions.ParseError: ("Invalid JSON", "invalid_json"),
}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApiError):
        return Response(exc.as_dict(), status=exc.status_code, headers=exc.headers)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten_validation(exc.detail)
        message = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items())
        body = error_body("Invalid request", message, "invalid_request", fields=fields)
        return Response(body, status=status.HTTP_400_BAD_REQUEST)

    if isinstance(exc, exceptions.APIException):
        title, code = next(
            (v for cls, v in _DRF_CODES.items() if isinstance(exc, cls)), ("Error", "error")
        )
        message = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else str(exc.detail)
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
        return Response(error_body(title, message, code), status=exc.status_code, headers=headers)
    return None


_JSON_RENDERER = JSONRenderer()


def json_bytes(data: Any) -> bytes:
    """``data`` exactly as the API's DRF views render it (compact, UTF-8)."""
    return _JSON_RENDERER.render(data)


def lean_error_response(exc: Exception) -> HttpResponse | None:
    """The answer a DRF view gives for ``exc`` (``api_exception_handler``), as a plain Django
    response: for views that skip DRF's Response on the hot path. None: not an API error."""
    answer = api_exception_handler(exc, {})
    if answer is None:
        return None
    response = HttpResponse(json_bytes(answer.data), status=answer.status_code, content_type="application/json")
    for name, value in answer.items():
        if name.lower() != "content-type":
            response[name] = value
    return response


def is_api_path(path: str) -> bool:
    return path.startswith(("/api/", "/webhook/")) or path == "/health"


def json_error_response(status_code: int, title: str, message: str, code: str) -> JsonResponse:
    return JsonResponse(error_body(title, message, code), status=status_code)
