"""Request-serializer behaviour every write endpoint shares."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class RejectUnknownFieldsMixin:
    """For request serializers: a key the serializer does not know is an error, never ignored
    (a misspelt field must not look like it was saved)."""

    initial_data: Any
    fields: Any

    def validate(self, attrs: dict) -> dict:
        if not isinstance(self.initial_data, dict):
            raise serializers.ValidationError("Send a JSON object.")
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: ["This field cannot be set (or does not exist)."] for name in sorted(unknown)})
        return attrs


class PartialUpdateMixin:
    """Turns a create serializer into its PATCH body: every field optional, the identifying
    ``immutable_fields`` refused, and at least one change required."""

    immutable_fields: tuple[str, ...]
    initial_data: Any
    fields: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)  # type: ignore[call-arg]
        for name in self.immutable_fields:
            self.fields.pop(name, None)

    def validate(self, attrs: dict) -> dict:
        if isinstance(self.initial_data, dict):
            fixed = [name for name in self.immutable_fields if name in self.initial_data]
            if fixed:
                raise serializers.ValidationError({name: ["This cannot be changed."] for name in fixed})
        attrs = super().validate(attrs)  # type: ignore[misc]
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs
