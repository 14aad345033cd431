from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from dreamapi.fields import StrictCharField
from dreamapi.openapi import END_USER_HEADERS, X_ENV, errors
from tenants.api_base import EndUserAPIView, PublicProjectAPIView

from . import services

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
            **errors(400, 401, 403),
        },
    )
    def get(self, request: Request) -> Response:
        return Response({"tiers": [tier_json(t) for t in self.tiers()]})


class _RedirectUrlField(serializers.URLField):
    """http(s) URLs only: a checkout must never send an end user to javascript: or data:."""

    def __init__(self, **kwargs):
        from django.core.validators import URLValidator

        super().__init__(max_length=2048, required=False, **kwargs)
        self.validators = [URLValidator(schemes=["http", "https"])]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CheckoutRequestSerializer(serializers.Serializer):
    tier = StrictCharField(max_length=40)
    successUrl = _RedirectUrlField()
    cancelUrl = _RedirectUrlField()


class PortalRequestSerializer(serializers.Serializer):
    returnUrl = _RedirectUrlField()


class CheckoutApi(EndUserAPIView):
    """``POST /api/create-checkout``: a Stripe Checkout URL to subscribe the end user to a tier."""

    @extend_schema(
        operation_id="checkout_create",
        summary="Start a subscription checkout for the end user",
        parameters=END_USER_HEADERS,
        request=CheckoutRequestSerializer,
        responses={200: inline_serializer("CheckoutUrl", {"url": serializers.URLField(),
                                                          "sessionId": serializers.CharField()}),
                   **errors(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        end_user = self.end_user()
        body = CheckoutRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        session_id, url = services.checkout_start(
            end_user=end_user, tier_slug=data["tier"], success_url=data.get("successUrl"),
            cancel_url=data.get("cancelUrl"), idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return Response({"url": url, "sessionId": session_id})


class PortalApi(EndUserAPIView):
    """``POST /api/customer-portal``: a Stripe billing portal URL for the end user."""

    @extend_schema(
        operation_id="portal_create",
        summary="Open the billing portal for the end user",
        parameters=END_USER_HEADERS,
        request=PortalRequestSerializer,
        responses={200: inline_serializer("PortalUrl", {"url": serializers.URLField()}),
                   **errors(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        end_user = self.end_user()
        body = PortalRequestSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        url = services.portal_start(end_user=end_user, return_url=body.validated_data.get("returnUrl"))
        return Response({"url": url})
