"""The usage shape of the API (``POST /api/data``'s ``usage``, ``GET /api/usage``): the original
service's ``Usage`` (``userId``, ``plan``, ``usageCount``, ``limit``, ``remaining``,
``periodStart``, ``periodEnd``) plus our ``count`` (the same number as ``usageCount``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dreamapi.fields import UtcTimeField, utc_text
from dreamapi.openapi import ErrorSerializer

if TYPE_CHECKING:
    from .services import Usage

UNLIMITED = "unlimited"

_LIMIT_SCHEMA = {
    "oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "enum": [UNLIMITED]}],
    "description": "A number, or \"unlimited\" for a tier without a limit (as the original service sends it).",
}


@extend_schema_field(_LIMIT_SCHEMA)
class LimitField(serializers.Field):
    """A count limit: an integer, or ``"unlimited"`` for None."""

    def get_attribute(self, instance):
        # DRF would render None as null without asking the field; None here means "unlimited".
        value = super().get_attribute(instance)
        return UNLIMITED if value is None else value

    def to_representation(self, value: int | str) -> int | str:
        return value


class UsageSerializer(serializers.Serializer):
    userId = serializers.CharField(source="user_id", help_text="The end user's id (usr_…).")
    plan = serializers.CharField(help_text="The end user's tier id (slug), e.g. 'free'.")
    usageCount = serializers.IntegerField(source="count", min_value=0, help_text="Calls counted this period.")
    count = serializers.IntegerField(min_value=0, help_text="The same as usageCount.")
    limit = LimitField()
    remaining = LimitField()
    periodStart = UtcTimeField(source="period_start", help_text="Start of the usage period (UTC, inclusive).")
    periodEnd = UtcTimeField(source="period_end", help_text="End of the usage period (UTC, exclusive).")


def usage_json(usage: Usage) -> dict:
    """``UsageSerializer(usage).data``, built by hand for the hot path.

    ``POST /api/data`` renders this on every tracked call. Measured with timeit on the 2-core
    development machine: this dict ≈7 µs, ``UsageSerializer(usage).data`` ≈110 µs, the
    ``UsageTrackedSerializer`` envelope ≈390 µs, against ≈1,000 µs of worker CPU for the whole
    tracked call. So the hot path keeps the dict, and tests/usage/test_shapes.py checks that it
    is exactly what the documented serializers render.
    """
    limit = UNLIMITED if usage.limit is None else usage.limit
    return {
        "userId": usage.user_id,
        "plan": usage.plan,
        "usageCount": usage.count,
        "count": usage.count,
        "limit": limit,
        "remaining": UNLIMITED if usage.limit is None else max(usage.limit - usage.count, 0),
        "periodStart": utc_text(usage.period_start),
        "periodEnd": utc_text(usage.period_end),
    }


class UsageTrackedSerializer(serializers.Serializer):
    """``POST /api/data``'s answer."""

    success = serializers.BooleanField()
    usage = UsageSerializer()


class TierLimitErrorSerializer(ErrorSerializer):
    """403 ``tier_limit_reached``: the error keys, the usage, and the original's top-level keys."""

    usage = UsageSerializer(required=False)
    plan = serializers.CharField(required=False)
    usageCount = serializers.IntegerField(required=False, min_value=0)
    limit = LimitField(required=False)

    class Meta:
        ref_name = "TierLimitError"
