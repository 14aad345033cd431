"""The one error the SDK raises."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import Usage


class DreamAPIError(Exception):
    """Every failure of a call: an error answer of the API, or no answer at all.

    ``status`` is the HTTP status (0 when no answer arrived: ``code`` is then ``timeout`` or
    ``network_error``), ``code`` the API's machine-readable code (``tier_limit_reached``,
    ``invalid_api_key``…), ``body`` the parsed response body.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        error: str = "",
        body: Mapping[str, Any] | None = None,
        fields: Mapping[str, list[str]] | None = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
        method: str = "",
        url: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.error = error or code
        self.body: Mapping[str, Any] = body or {}
        self.fields: Mapping[str, list[str]] = fields or {}
        self.retry_after = retry_after
        self.headers: Mapping[str, str] = headers or {}
        self.method = method
        self.url = url

    @property
    def is_limit_reached(self) -> bool:
        return self.code == "tier_limit_reached"

    @property
    def usage(self) -> Usage | None:
        """At the limit (403 ``tier_limit_reached``): the end user's usage, as ``usage.check()`` gives it."""
        usage = self.body.get("usage")
        return Usage.from_api(usage) if isinstance(usage, Mapping) else None

    def __repr__(self) -> str:
        return f"DreamAPIError(status={self.status}, code={self.code!r}, message={self.message!r})"
