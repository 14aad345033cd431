"""Helpers for web frameworks: track one use per request and answer the app's own 402 (or 403)
when the end user's tier limit is reached. Import the module of your framework
(``dreamapi.integrations.django``, ``.flask``, ``.fastapi``); each imports only its own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import DreamAPIError

DEFAULT_LIMIT_STATUS = 402


def limit_body(error: DreamAPIError) -> dict[str, Any]:
    """The JSON an app answers at the limit: the API's error and the end user's usage."""
    body: dict[str, Any] = {"error": error.error or "Tier limit reached", "message": error.message,
                            "code": error.code}
    usage = error.body.get("usage")
    if isinstance(usage, Mapping):
        body["usage"] = dict(usage)
    return body
