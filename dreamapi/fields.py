"""Strict serializer fields: the API says "wrong type" instead of coercing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .jsonparse import JsonRefused, check_value


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    default_error_messages = {"invalid": "Enter a valid e-mail address."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data).strip()


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LENGTH = 100
METADATA_MAX_DEPTH = 5
METADATA_MAX_BYTES = 8192


@extend_schema_field({
    "type": "object",
    "maxProperties": METADATA_MAX_KEYS,
    "description": f"Your own JSON object, stored as sent: at most {METADATA_MAX_KEYS} keys at the top, keys of at "
                   f"most {METADATA_MAX_KEY_LENGTH} characters, nested at most {METADATA_MAX_DEPTH} levels deep, "
                   f"{METADATA_MAX_BYTES} bytes once serialized; no NUL character or lone surrogate in any "
                   "string. A value over these limits is a 400 naming `metadata`.",
})
class MetadataField(serializers.Field):
    """A JSON object within the limits above (a developer's notes on an end user, not a database)."""

    default_error_messages = {
        "not_object": "Must be a JSON object.",
        "too_many_keys": "At most {max_keys} keys.",
        "key_too_long": "Keys have at most {max_length} characters.",
        "too_deep": "At most {max_depth} levels of nesting.",
        "too_large": "At most {max_bytes} bytes once serialized.",
        "unstorable": "{reason}",
    }

    def __init__(self, *, max_keys: int = METADATA_MAX_KEYS, max_bytes: int = METADATA_MAX_BYTES,
                 **kwargs: Any) -> None:
        self.max_keys = max_keys
        self.max_bytes = max_bytes
        super().__init__(**kwargs)

    def _check_nesting(self, value: Any, depth: int) -> None:
        if depth > METADATA_MAX_DEPTH:
            self.fail("too_deep", max_depth=METADATA_MAX_DEPTH)
        if isinstance(value, dict):
            if any(len(key) > METADATA_MAX_KEY_LENGTH for key in value):
                self.fail("key_too_long", max_length=METADATA_MAX_KEY_LENGTH)
            for item in value.values():
                self._check_nesting(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                self._check_nesting(item, depth + 1)

    def to_internal_value(self, data: Any) -> dict:
        if not isinstance(data, dict):
            self.fail("not_object")
        if len(data) > self.max_keys:
            self.fail("too_many_keys", max_keys=self.max_keys)
        self._check_nesting(data, 1)
        # The strict JSON parser refuses these in request bodies; metadata can arrive by other
        # routes too (a form, a service call from the dashboard), and PostgreSQL's jsonb can't hold them.
        try:
            check_value(data)
        except JsonRefused as exc:
            self.fail("unstorable", reason=str(exc))
        if len(json.dumps(data, separators=(",", ":")).encode()) > self.max_bytes:
            self.fail("too_large", max_bytes=self.max_bytes)
        return data

    def to_representation(self, value: Any) -> Any:
        return value


def utc_text(value: datetime) -> str:
    """An aware datetime as ``2027-01-01T00:00:00Z`` (microseconds kept when there are any)."""
    return value.isoformat().replace("+00:00", "Z")


@extend_schema_field({"type": "string", "format": "date-time"})
class UtcTimeField(serializers.Field):
    """Output only: an aware datetime as ISO 8601 in UTC with a ``Z``."""

    def to_representation(self, value: datetime) -> str:
        return utc_text(value)


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 0,
                      "description": "Milliseconds since 1970-01-01 UTC (as the original service sends it)."})
class EpochMillisField(serializers.Field):
    """Output only: an aware datetime as integer milliseconds since the Unix epoch."""

    def to_representation(self, value: datetime) -> int:
        return (value - _EPOCH) // timedelta(milliseconds=1)  # exact, unlike timestamp() * 1000


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RedirectUrlField(StrictCharField):
    """An absolute http(s) URL with a host and no user-info: we never send a person (Checkout,
    the portal) to javascript:, data:, a bare path, or a URL browsers could read differently."""

    default_error_messages = {"scheme": "Must be an absolute http:// or https:// URL."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=2048, required=False, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if any(c.isspace() or ord(c) < 0x20 or c == "\\" for c in value):
            self.fail("scheme")
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            self.fail("scheme")
        if (parts.scheme.lower() not in ("http", "https") or not value.lower().startswith(f"{parts.scheme.lower()}://")
                or not parts.hostname or "@" in parts.netloc):
            self.fail("scheme")
        try:
            URLValidator(schemes=["http", "https"])(value)
        except DjangoValidationError:
            self.fail("scheme")
        return value
