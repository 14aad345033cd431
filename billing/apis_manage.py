"""Managing tiers from scripts with the secret key: ``POST /api/tiers``,
``PATCH /api/tiers/{id}``, ``DELETE /api/tiers/{id}``, with the dashboard's rules (the same
services). ``GET /api/tiers`` stays public (publishable key); one view serves both methods
because they share a path.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from dreamapi.errors import ApiError, NotFound
from dreamapi.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from dreamapi.openapi import X_ENV, errors
from dreamapi.serializers import PartialUpdateMixin, RejectUnknownFieldsMixin
from tenants.api_base import ProjectAPIView, PublicReadSecretWriteAPIView

from . import services
from .apis import TierListApi, TierSerializer
from .models import Tier, tier_slug_validator


class ManagedTierSerializer(TierSerializer):
    """A tier as ``GET /api/tiers`` shows it, plus what only its manager sees: ``order`` and ``default``."""

    order = serializers.IntegerField(help_text="Position in the list (ascending).")
    default = serializers.BooleanField(source="is_default", help_text="New end users start on this tier.")
    trialDays = serializers.IntegerField(source="trial_days", help_text="Days of free trial for a first "
                                                                        "subscription (0: none).")
    trialRequiresCard = serializers.BooleanField(source="trial_requires_card",
                                                 help_text="Whether the trial's checkout asks for a card.")


class TierEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    tier = ManagedTierSerializer()


class TierDeletedSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    deleted = serializers.BooleanField()
    id = serializers.CharField()


_SLUG_HELP = "The tier's id (slug), e.g. 'pro': fixed once created."


class TierWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Body of ``POST /api/tiers``, in the original's terms: ``name`` is the tier's id
    (``id`` is accepted for it too), ``displayName`` what buyers read (default: the name).
    ``PATCH`` takes the same fields but the id, all optional."""

    name = StrictCharField(max_length=40, validators=[tier_slug_validator], required=False, help_text=_SLUG_HELP)
    id = StrictCharField(max_length=40, validators=[tier_slug_validator], required=False,
                         help_text="Another way to send name.")
    displayName = StrictCharField(max_length=80, required=False)
    price = StrictIntegerField(min_value=0, max_value=99_999_999, required=False, default=0,
                               help_text="Per interval, in minor units (cents); 0 = free.")
    currency = StrictCharField(min_length=3, max_length=3, required=False, default="usd")
    interval = serializers.ChoiceField(choices=Tier.Interval.values, required=False, default=Tier.Interval.MONTH)
    limit = StrictIntegerField(min_value=0, max_value=2_000_000_000, required=False, allow_null=True,
                               default=None, help_text="Tracked calls per usage period; null = unlimited.")
    features = serializers.ListField(child=StrictCharField(max_length=200), max_length=50, required=False,
                                     default=list)
    popular = StrictBooleanField(required=False, default=False)
    order = StrictIntegerField(min_value=0, max_value=1000, required=False, default=0)
    trialDays = StrictIntegerField(min_value=0, max_value=730, required=False, default=0, help_text=(
        "Days of free trial a first subscription to this tier starts with (0: none; paid tiers only). A trial is "
        "given once per end user."))
    trialRequiresCard = StrictBooleanField(required=False, default=True, help_text=(
        "false: the trial starts without a card; if none is added (customer portal) before it ends, the "
        "subscription ends and the end user returns to the default tier."))

    SERVICE_NAMES = {"name": "slug", "displayName": "name", "price": "price_cents", "limit": "monthly_limit",
                     "trialDays": "trial_days", "trialRequiresCard": "trial_requires_card"}

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if "name" in self.fields:  # creating: the id is required, once
            slug = attrs.pop("id", None)
            if slug and attrs.get("name") and slug != attrs["name"]:
                raise serializers.ValidationError({"id": ["id and name both name the tier's id: send one."]})
            attrs["name"] = attrs.get("name") or slug
            if not attrs["name"]:
                raise serializers.ValidationError({"name": ["The tier's id is required, e.g. 'pro'."]})
            attrs.setdefault("displayName", attrs["name"])
        return attrs

    def service_fields(self) -> dict[str, Any]:
        return {self.SERVICE_NAMES.get(k, k): v for k, v in self.validated_data.items()}


class TierUpdateSerializer(PartialUpdateMixin, TierWriteSerializer):
    immutable_fields = ("name", "id")


def _tier_response(tier: Tier, status: int = 200) -> Response:
    return Response(TierEnvelopeSerializer({"success": True, "tier": tier}).data, status=status)


class TierCollectionApi(PublicReadSecretWriteAPIView, TierListApi):
    """``GET /api/tiers`` (publishable or secret key) and ``POST /api/tiers`` (secret key)."""

    @extend_schema(operation_id="tiers_create", summary="Create a tier", parameters=[X_ENV],
                   request=TierWriteSerializer,
                   responses={201: TierEnvelopeSerializer, **errors(400, 401, 403, 409, 413, 415, 429, 502, 503)})
    def post(self, request: Request) -> Response:
        body = TierWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tier = services.tier_create(project=self.project(), mode=self.mode, actor=self.actor, **body.service_fields())
        return _tier_response(tier, status=201)


class TierDetailApi(ProjectAPIView):
    """``PATCH`` and ``DELETE /api/tiers/{id}`` (secret key)."""

    def get_tier(self, tier_id: str) -> Tier:
        tier = self.tiers().select_related("project").filter(slug=tier_id).first()
        if tier is None:
            raise NotFound(f"No tier '{tier_id}' in this project and mode.", code="unknown_tier")
        return tier

    @extend_schema(operation_id="tiers_update", summary="Change a tier", parameters=[X_ENV],
                   request=TierUpdateSerializer,
                   responses={200: TierEnvelopeSerializer,
                              **errors(400, 401, 403, 404, 409, 413, 415, 429, 502, 503)})
    def patch(self, request: Request, tier_id: str) -> Response:
        tier = self.get_tier(tier_id)
        body = TierUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _tier_response(services.tier_update(tier=tier, actor=self.actor, **body.service_fields()))

    @extend_schema(
        operation_id="tiers_delete", summary="Delete a tier",
        parameters=[X_ENV, OpenApiParameter("moveUsersTo", str, description=(
            "Required when end users are on the tier: the id of the tier they move to."))],
        responses={200: TierDeletedSerializer, **errors(400, 401, 403, 404, 409, 429, 502, 503)},
    )
    def delete(self, request: Request, tier_id: str) -> Response:
        tier = self.get_tier(tier_id)
        move_to = None
        target = request.query_params.get("moveUsersTo")
        if target is not None:
            move_to = self.tiers().filter(slug=target).first()
            if move_to is None:
                raise ApiError(f"moveUsersTo: no tier '{target}' in this project and mode.",
                               code="invalid_target_tier")
        services.tier_delete(tier=tier, move_users_to=move_to, actor=self.actor)
        return Response(TierDeletedSerializer({"success": True, "deleted": True, "id": tier_id}).data)
