"""Strict serializer fields: the API says "wrong type" instead of coercing."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
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


@extend_schema_field(OpenApiTypes.OBJECT)
class MetadataField(serializers.Field):
    """A JSON object of at most ``max_keys`` keys and ``max_bytes`` serialized."""

    default_error_messages = {
        "not_object": "Must be a JSON object.",
        "too_many_keys": "At most {max_keys} keys.",
        "too_large": "At most {max_bytes} bytes once serialized.",
        "unstorable": "{reason}",
    }

    def __init__(self, *, max_keys: int = 50, max_bytes: int = 8192, **kwargs: Any) -> None:
        self.max_keys = max_keys
        self.max_bytes = max_bytes
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict:
        if not isinstance(data, dict):
            self.fail("not_object")
        if len(data) > self.max_keys:
            self.fail("too_many_keys", max_keys=self.max_keys)
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
