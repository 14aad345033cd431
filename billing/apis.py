from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from dreamapi.openapi import X_ENV, errors

from tenants.api_base import PublicProjectAPIView

from .models import Tier


def tier_json(tier: Tier) -> dict:
    return {
        "id": tier.slug,
        "name": tier.name,
        "price": tier.price_cents,
        "currency": tier.currency,
        "interval": tier.interval,
        "limit": tier.monthly_limit,
        "features": tier.features,
        "popular": tier.popular,
        "priceId": tier.stripe_price_id or None,
    }


class TierListApi(PublicProjectAPIView):
    """``GET /api/tiers``: the project's tiers in the key's mode (publishable or secret key)."""

    @extend_schema(
        operation_id="tiers_list",
        summary="The project's tiers",
        parameters=[X_ENV],
        responses={
            200: inline_serializer(
                "TierList",
                {
                    "tiers": inline_serializer(
                        "Tier",
                        {
                            "id": serializers.CharField(),
                            "name": serializers.CharField(),
                            "price": serializers.IntegerField(help_text="Minor units (cents)."),
                            "currency": serializers.CharField(),
                            "interval": serializers.ChoiceField(choices=["month", "year"]),
                            "limit": serializers.IntegerField(allow_null=True),
                            "features": serializers.ListField(child=serializers.CharField()),
                            "popular": serializers.BooleanField(),
                            "priceId": serializers.CharField(allow_null=True),
                        },
                        many=True,
                    )
                },
            ),
            **errors(401, 403),
        },
    )
    def get(self, request: Request) -> Response:
        return Response({"tiers": [tier_json(t) for t in self.tiers()]})
