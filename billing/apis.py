from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from dreamapi.errors import ApiError, NotFound
from dreamapi.fields import RedirectUrlField, StrictCharField
from dreamapi.openapi import END_USER_HEADERS, KEY_HEADERS, errors
from dreamapi.serializers import RejectUnknownFieldsMixin
from tenants.api_base import EndUserAPIView, PublicProjectAPIView
from usage.entitlements import ENTITLEMENTS_SCHEMA, entitlements_map, tier_features
from usage.serializers import LimitField

from . import services
from .models import Tier, tier_slug_validator


class TierSerializer(serializers.Serializer):
    """A tier as the original service's ``Tier`` has it, plus ours (``id``, ``currency``, ``interval``)."""

    id = serializers.CharField(source="slug", help_text="The tier id (slug), e.g. 'pro'.")
    name = serializers.CharField(source="slug", help_text="The tier id again, as the original's clients read "
                                                          "`name` (its internal id, e.g. 'pro').")
    displayName = serializers.CharField(source="name", help_text="The name to show, e.g. 'Pro'.")
    price = serializers.IntegerField(source="price_cents", min_value=0,
                                     help_text="Per interval, in minor units (cents).")
    currency = serializers.CharField(help_text="ISO 4217, lower case, e.g. 'usd'.")
    interval = serializers.ChoiceField(choices=Tier.Interval.values)
    limit = LimitField(source="monthly_limit", help_text="Tracked calls per usage period, or \"unlimited\".")
    features = serializers.ListField(child=serializers.CharField())
    popular = serializers.BooleanField()
    billingMode = serializers.SerializerMethodField()
    priceId = serializers.CharField(source="stripe_price_id", help_text=(
        "The Stripe Price on the connected account; an empty string when the tier has none: a free tier, or a "
        "paid tier not yet saved to a connected Stripe account."))
    productId = serializers.CharField(source="stripe_product_id", help_text=(
        "The Stripe Product on the connected account; an empty string when the tier has none (as priceId)."))
    trialDays = serializers.IntegerField(source="trial_days", min_value=0, max_value=730, help_text=(
        "Days of free trial a first subscription to this tier starts with (0: none)."))
    trialRequiresCard = serializers.BooleanField(source="trial_requires_card", help_text=(
        "Whether the trial's checkout asks for a card. Without one, a trial that ends without a card added "
        "(customer portal) ends the subscription and the end user returns to the default tier."))
    entitlements = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "enum": ["subscription"],
                          "description": "Tiers are always subscriptions (one-off sales are products)."})
    def get_billingMode(self, tier: Tier) -> str:
        return "subscription"

    @extend_schema_field(ENTITLEMENTS_SCHEMA)
    def get_entitlements(self, tier: Tier) -> dict:
        return entitlements_map(tier_features(tier=tier))


class TierListSerializer(serializers.Serializer):
    tiers = TierSerializer(many=True)


class TierListApi(PublicProjectAPIView):
    """``GET /api/tiers``: the project's tiers in the key's mode (publishable or secret key)."""

    @extend_schema(
        operation_id="tiers_list",
        summary="The project's tiers",
        description="In display order. CORS-enabled for the project's allowed origins when called with the "
                    "publishable key.",
        parameters=KEY_HEADERS,
        responses={200: TierListSerializer, **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(TierListSerializer({"tiers": self.tiers().prefetch_related("tier_features")}).data)


class CheckoutRequestSerializer(serializers.Serializer):
    tier = StrictCharField(max_length=40, required=False, help_text="The tier id, e.g. 'pro'.")
    priceId = StrictCharField(max_length=255, required=False, help_text=(
        "Instead of `tier`, as the original service's clients may send it: the current Stripe Price of one of "
        "this project's tiers (`priceId` of `GET /api/tiers`). Any other price is refused."))
    successUrl = RedirectUrlField()
    cancelUrl = RedirectUrlField()

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("tier") and not attrs.get("priceId"):
            raise serializers.ValidationError({"tier": ["Name the tier to subscribe to (or its priceId)."]})
        return attrs


class PortalRequestSerializer(serializers.Serializer):
    returnUrl = RedirectUrlField()


class CheckoutSessionSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Send the end user here (Stripe Checkout).")
    sessionId = serializers.CharField(source="session_id")


class PortalSessionSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Send the end user here (Stripe's billing portal).")


_BROWSER_URLS = ("With the publishable key (browser mode, with the end user's token) every URL given must be on "
                 "one of the project's allowed origins: 400 `redirect_not_allowed` naming the field otherwise.")


class CheckoutApi(EndUserAPIView):
    """``POST /api/create-checkout``: a Stripe Checkout URL to subscribe the end user to a tier."""

    def tier_for_price(self, price_id: str) -> str:
        """The tier whose current price this is; a price of anything else (another project, an archived
        price, a product) is 404, never checked out."""
        tier = self.tiers().filter(stripe_price_id=price_id).exclude(stripe_price_id="").first()
        if tier is None:
            raise NotFound("No tier of this project and mode has this priceId.", code="unknown_price")
        return tier.slug

    @extend_schema(
        operation_id="checkout_create",
        summary="Start a subscription checkout for the end user",
        description=("Without `successUrl`/`cancelUrl` the project's defaults are used. " + _BROWSER_URLS
                     + " 404 `unknown_tier` for a tier id this project does not have (`unknown_price` for a `priceId` that is "
                     "not a tier's current price); 409 when Stripe is not "
                     "connected, the end user is already on the tier or already subscribes."),
        parameters=END_USER_HEADERS,
        request=CheckoutRequestSerializer,
        responses={200: CheckoutSessionSerializer, **errors(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        end_user = self.end_user()
        body = CheckoutRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        self.check_redirect_urls({"successUrl": data.get("successUrl"), "cancelUrl": data.get("cancelUrl")})
        tier_slug = data.get("tier") or self.tier_for_price(data["priceId"])
        if data.get("tier") and data.get("priceId") and self.tier_for_price(data["priceId"]) != data["tier"]:
            raise ApiError(f"priceId is not the price of tier '{data['tier']}'.", code="price_tier_mismatch",
                           extra={"fields": {"priceId": ["Not the price of this tier."]}})
        session_id, url = services.checkout_start(
            end_user=end_user, tier_slug=tier_slug, success_url=data.get("successUrl"),
            cancel_url=data.get("cancelUrl"), idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return Response(CheckoutSessionSerializer({"url": url, "session_id": session_id}).data)


class PortalApi(EndUserAPIView):
    """``POST /api/customer-portal``: a Stripe billing portal URL for the end user."""

    @extend_schema(
        operation_id="portal_create",
        summary="Open the billing portal for the end user",
        description=("Without `returnUrl` the project's default is used. " + _BROWSER_URLS
                     + " 409 when Stripe is not connected or the end user has never checked out."),
        parameters=END_USER_HEADERS,
        request=PortalRequestSerializer,
        responses={200: PortalSessionSerializer, **errors(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        end_user = self.end_user()
        body = PortalRequestSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        return_url = body.validated_data.get("returnUrl")
        self.check_redirect_urls({"returnUrl": return_url})
        url = services.portal_start(end_user=end_user, return_url=return_url)
        return Response(PortalSessionSerializer({"url": url}).data)


class ChangePlanRequestSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    tier = StrictCharField(max_length=40, validators=[tier_slug_validator], help_text=(
        "The tier to move to, e.g. 'pro'. The end user's current tier cancels a pending change."))


class PlanSubscriptionSerializer(serializers.Serializer):
    id = serializers.CharField(source="stripe_subscription_id", help_text="The Stripe subscription (sub_…).")
    status = serializers.CharField(help_text="Stripe's status: trialing, active, past_due…")
    currentPeriodEnd = serializers.DateTimeField(source="current_period_end", allow_null=True)
    cancelAtPeriodEnd = serializers.BooleanField(source="cancel_at_period_end")
    trialEnd = serializers.DateTimeField(source="trial_end", allow_null=True, help_text="null without a trial.")


class PlanChangeSerializer(serializers.Serializer):
    success = serializers.SerializerMethodField()
    changed = serializers.ChoiceField(choices=["now", "at_period_end", "unscheduled", "none"], help_text=(
        "`now`: the end user is on `plan` from now (an upgrade, or any change during a trial); `at_period_end`: "
        "`pendingPlan` takes over at `effectiveAt` (a downgrade, or the default free tier, which cancels the "
        "subscription at the period's end); `unscheduled`: a pending change was withdrawn; `none`: nothing to do."))
    plan = serializers.CharField(source="tier.slug", help_text="The tier the end user is on now.")
    previousPlan = serializers.CharField(source="previous.slug", help_text="The tier before this call.")
    pendingPlan = serializers.CharField(source="pending.slug", allow_null=True, help_text=(
        "The tier that takes over at `effectiveAt`; null when nothing is pending."))
    effectiveAt = serializers.DateTimeField(source="effective_at", help_text=(
        "When `pendingPlan` takes over (the end of the billing period), or now."))
    amountCharged = serializers.IntegerField(source="amount_charged", min_value=0, help_text=(
        "What was charged now for an upgrade (the prorated difference for the rest of the period), in minor units."))
    currency = serializers.CharField(source="tier.currency")
    invoiceId = serializers.CharField(source="invoice_id", allow_null=True, help_text=(
        "The Stripe invoice of that charge; null when nothing was invoiced."))
    subscription = PlanSubscriptionSerializer(allow_null=True)

    @extend_schema_field({"type": "boolean", "enum": [True]})
    def get_success(self, change: services.PlanChange) -> bool:
        return True


class ChangePlanApi(EndUserAPIView):
    """``POST /api/change-plan``: move the end user's subscription to another tier."""

    @extend_schema(
        operation_id="plan_change",
        summary="Change the end user's plan",
        description=(
            "An upgrade (a higher price, or a longer interval) takes effect at once and the prorated difference for "
            "the rest of the period is charged at once (`changed: now`, `amountCharged`); the usage counted this "
            "period carries over. A downgrade (a lower price or a shorter interval) waits for the end of the "
            "billing period (`changed: at_period_end`, `pendingPlan`, `effectiveAt`), as does the default free "
            "tier, which cancels the subscription at the period's end. Naming the current tier withdraws a pending "
            "change (`unscheduled`). During a trial every change applies at once and the trial goes on. "
            "Works with the secret key (X-User-Id or a token) and in browser mode (publishable key + the end "
            "user's token). 404 `unknown_tier` for a tier this project does not have in the key's mode, 404 "
            "`end_user_not_found`; 409 `checkout_required` (no subscription yet: use POST /api/create-checkout), "
            "`no_subscription`, `free_tier_not_default`, `tier_not_in_stripe`, `currency_mismatch`, "
            "`subscription_past_due` (an upgrade while a payment is open), `payment_failed` (the card was declined: "
            "nothing changed), `stripe_not_connected`."),
        parameters=END_USER_HEADERS,
        request=ChangePlanRequestSerializer,
        responses={200: PlanChangeSerializer, **errors(400, 401, 403, 404, 409, 429, 502, 503)},
    )
    def post(self, request: Request) -> Response:
        end_user = self.end_user()
        body = ChangePlanRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change = services.plan_change(end_user=end_user, tier_slug=body.validated_data["tier"], actor=self.actor,
                             idempotency_key=request.headers.get("Idempotency-Key"))
        return Response(PlanChangeSerializer(change).data)
