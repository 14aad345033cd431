"""A tiny response type shared by the API, the pages and the control API."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, (json.dumps(data, indent=2) + "\n").encode(), "application/json", dict(headers or {}))


def html_response(status: int, page: str) -> Response:
    return Response(status, page.encode(), "text/html; charset=utf-8")


def redirect(location: str, status: int = 303) -> Response:
    return Response(status, b"", "text/plain", {"Location": location})
