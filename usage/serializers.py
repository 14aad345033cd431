"""The usage shape of the API (``POST /api/data``'s ``usage``, ``GET /api/usage``): the original
service's ``Usage`` (``userId``, ``plan``, ``usageCount``, ``limit``, ``remaining``,
``periodStart``, ``periodEnd``) plus our ``count`` (the same number as ``usageCount``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dreamapi.fields import StrictCharField, StrictIntegerField, UtcTimeField, utc_text
from dreamapi.openapi import ErrorSerializer

from .models import FEATURE_KEY_PATTERN, MAX_AMOUNT, feature_key_validator

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


class OmitNoneSerializer(serializers.Serializer):
    """Leaves out the ``omit_when_none`` keys whose value is None (optional keys, not nulls)."""

    omit_when_none: tuple[str, ...] = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for name in self.omit_when_none:
            if data.get(name, 0) is None:
                del data[name]
        return data


class UsageSerializer(OmitNoneSerializer):
    """One meter's usage. ``feature`` only when the call named one (the default meter unnamed keeps
    the original service's shape)."""

    omit_when_none = ("feature",)

    userId = serializers.CharField(source="user_id", help_text="The end user's id (usr_…).")
    plan = serializers.CharField(help_text="The end user's tier id (slug), e.g. 'free'.")
    usageCount = serializers.IntegerField(source="count", min_value=0, help_text="Calls counted this period.")
    count = serializers.IntegerField(min_value=0, help_text="The same as usageCount.")
    limit = LimitField()
    remaining = LimitField()
    periodStart = UtcTimeField(source="period_start", help_text="Start of the usage period (UTC, inclusive).")
    periodEnd = UtcTimeField(source="period_end", help_text="End of the usage period (UTC, exclusive).")
    feature = serializers.CharField(required=False, help_text=(
        "The meter counted or read, when the call named one ({\"feature\": …} or ?feature=); "
        "`api_calls` is the default meter."))


def usage_json(usage: Usage) -> dict:
    """``UsageSerializer(usage).data``, built by hand for the hot path.

    ``POST /api/data`` renders this on every tracked call. Measured with timeit on the 2-core
    development machine: this dict ≈7 µs, ``UsageSerializer(usage).data`` ≈110 µs, the
    ``UsageTrackedSerializer`` envelope ≈390 µs, against ≈1,000 µs of worker CPU for the whole
    tracked call. So the hot path keeps the dict, and tests/usage/test_shapes.py checks that it
    is exactly what the documented serializers render.
    """
    limit = UNLIMITED if usage.limit is None else usage.limit
    body = {
        "userId": usage.user_id,
        "plan": usage.plan,
        "usageCount": usage.count,
        "count": usage.count,
        "limit": limit,
        "remaining": UNLIMITED if usage.limit is None else max(usage.limit - usage.count, 0),
        "periodStart": utc_text(usage.period_start),
        "periodEnd": utc_text(usage.period_end),
    }
    if usage.feature is not None:
        body["feature"] = usage.feature
    return body


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
    feature = serializers.CharField(required=False, help_text="The meter, when the call named one.")

    class Meta:
        ref_name = "TierLimitError"


# --- metering v2: request bodies and the other answers --------------------------------------


class TrackRequestSerializer(serializers.Serializer):
    """``POST /api/data``'s optional body. Without it: one use of the default meter."""

    feature = StrictCharField(required=False, max_length=40, validators=[feature_key_validator], help_text=(
        "The metered feature to count (a key of the tiers' `entitlements`); the default meter `api_calls` when "
        "left out. A key no tier of the project has: 404 `unknown_feature`; an on/off feature: 400 "
        "`feature_not_metered`. Any other key in the body: 400 naming it."))
    amount = StrictIntegerField(required=False, min_value=1, max_value=MAX_AMOUNT, default=1,
                                help_text="How many uses to count at once, all or nothing.")

    class Meta:
        ref_name = "Track"

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field: send feature and/or amount."]
                                               for name in sorted(unknown)})
        return attrs


class FeatureQuerySerializer(serializers.Serializer):
    feature = serializers.RegexField(FEATURE_KEY_PATTERN, required=False, max_length=40, help_text=(
        "A feature key; the default meter `api_calls` when left out."))


class CheckQuerySerializer(FeatureQuerySerializer):
    amount = serializers.IntegerField(required=False, min_value=1, max_value=MAX_AMOUNT, default=1,
                                      help_text="Metered features: whether this many more uses would fit.")


class MeterSerializer(serializers.Serializer):
    usageCount = serializers.IntegerField(source="count", min_value=0)
    limit = LimitField(help_text="Per usage period, \"unlimited\", or 0 when the end user's plan does not include it.")
    remaining = LimitField()


class UsageReportSerializer(UsageSerializer):
    """``GET /api/usage``: the default meter flat (the original's shape), and every meter."""

    features = serializers.DictField(source="meters", child=MeterSerializer(), required=False, help_text=(
        "Every metered feature of the project (the default meter `api_calls` first) with this end user's count, "
        "limit and remaining in the same period; only when the project defines features besides the default "
        "meter."))

    omit_when_none = ("feature", "features")


@extend_schema_field({"type": "string", "enum": ["metered", "boolean"],
                      "description": "metered: counted against a limit per period; boolean: on or off."})
class FeatureTypeField(serializers.CharField):
    pass


class FeatureCheckSerializer(serializers.Serializer):
    """``GET /api/check``: may the end user use a feature now? Counts nothing. The usage keys
    only for a metered feature (they are skipped when there is no usage)."""

    userId = serializers.CharField(source="user_id")
    plan = serializers.CharField()
    feature = serializers.CharField()
    type = FeatureTypeField(source="kind")
    allowed = serializers.BooleanField(help_text=(
        "Boolean: whether the plan has it. Metered: whether `amount` more uses fit in what is left."))
    usageCount = serializers.IntegerField(source="usage.count", required=False, min_value=0)
    limit = LimitField(source="usage.limit", required=False)
    remaining = LimitField(source="usage.remaining", required=False)
    periodStart = UtcTimeField(source="usage.period_start", required=False)
    periodEnd = UtcTimeField(source="usage.period_end", required=False)
