"""JSON everywhere under /api/: errors Django would render as HTML are turned into the API shape."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .errors import is_api_path, json_error_response

logger = logging.getLogger("dreamapi.api")

_STATUS_TITLES = {
    400: ("Bad request", "bad_request"),
    403: ("Forbidden", "forbidden"),
    404: ("Not found", "not_found"),
    405: ("Method not allowed", "method_not_allowed"),
    413: ("Payload too large", "payload_too_large"),
    500: ("Server error", "server_error"),
}


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_path(request.path):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return json_error_response(
                413, "Payload too large",
                f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.", "payload_too_large",
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
        if not is_api_path(request.path):
            return None
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return json_error_response(500, "Server error", "Something went wrong on our side; it has been logged.",
                                   "server_error")
