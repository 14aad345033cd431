"""Request and response shapes of the store API. Each response serializer both renders the
response and documents it in the OpenAPI schema (one shape, written once)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dreamapi.fields import RedirectUrlField, StrictBooleanField, StrictCharField, StrictEmailField, StrictIntegerField
from dreamapi.serializers import PartialUpdateMixin, RejectUnknownFieldsMixin

from .models import Order, product_name_validator
from .services import asset_url
from .services.cart import MAX_LINES, MAX_QUANTITY
from .services.products import MAX_FEATURES

MAX_PRICE = 99_999_999  # Stripe's largest unit_amount
MAX_INVENTORY = 10_000_000


def iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class AssetUrlField(serializers.Field):
    def to_representation(self, value: Any) -> str | None:
        return asset_url(value)


@extend_schema_field(OpenApiTypes.DATETIME)
class IsoDateTimeField(serializers.Field):
    def to_representation(self, value: Any) -> str | None:
        return iso(value)


# --- products ----------------------------------------------------------------------------------


class ProductSerializer(serializers.Serializer):
    """A product as shops see it (the original SDK's ``Product``, plus ``id``)."""

    id = serializers.CharField(source="public_id", help_text="prd_…: the product's id in dream-api.")
    name = serializers.CharField(help_text="Unique name (slug) in the project and mode.")
    displayName = serializers.CharField(source="display_name")
    description = serializers.CharField()
    price = serializers.IntegerField(source="price_cents", help_text="Minor units (cents): 4900 = $49.00.")
    currency = serializers.CharField()
    priceId = serializers.CharField(source="stripe_price_id", help_text=(
        "The Stripe Price to put in a cart; an empty string while the product has none on the connected account "
        "(after connecting another account, until the product is saved again)."))
    productId = serializers.CharField(source="stripe_product_id", help_text="The Stripe Product (empty as priceId).")
    imageUrl = AssetUrlField(source="image")
    inventory = serializers.IntegerField(source="available", allow_null=True,
                                         help_text="Units that can still be bought; null = unlimited.")
    soldOut = serializers.BooleanField(source="sold_out")
    features = serializers.ListField(child=serializers.CharField())


class ProductDetailSerializer(ProductSerializer):
    """A product as its owner (secret key) sees it: the shop fields plus status and counters."""

    active = serializers.BooleanField(help_text="False once archived (DELETE): no longer listed or sold.")
    order = serializers.IntegerField(help_text="Position in the list (ascending).")
    stock = serializers.IntegerField(source="inventory", allow_null=True,
                                     help_text="Units on hand, including reserved ones; null = unlimited.")
    reserved = serializers.IntegerField(help_text="Units held by open checkouts.")
    sold = serializers.IntegerField(help_text="Units paid for (and not put back by a refund).")
    restockOnRefund = serializers.BooleanField(source="restock_on_refund")
    createdAt = IsoDateTimeField(source="created_at")
    updatedAt = IsoDateTimeField(source="updated_at")


class ProductListSerializer(serializers.Serializer):
    products = ProductSerializer(many=True)


class ProductEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    product = ProductDetailSerializer()


class _Features(serializers.ListField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=StrictCharField(max_length=200, allow_blank=False), max_length=MAX_FEATURES, **kwargs)


class ProductWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Body of ``POST /api/products``; the same fields, all optional and without ``name``, for PATCH."""

    name = StrictCharField(max_length=64, validators=[product_name_validator],
                           help_text="Unique (per project and mode) slug; cannot be changed later.")
    displayName = StrictCharField(max_length=120, required=False, allow_blank=False,
                                  help_text="Shown to buyers; defaults to name.")
    description = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")
    price = StrictIntegerField(min_value=1, max_value=MAX_PRICE, help_text="Minor units (cents).")
    currency = StrictCharField(min_length=3, max_length=3, required=False, default="usd")
    inventory = StrictIntegerField(min_value=0, max_value=MAX_INVENTORY, required=False, allow_null=True,
                                   default=None, help_text="Units on hand; null (the default) = unlimited.")
    features = _Features(required=False, default=list)
    active = StrictBooleanField(required=False, default=True)
    order = StrictIntegerField(min_value=0, max_value=1000, required=False, default=0)
    restockOnRefund = StrictBooleanField(required=False, default=False,
                                         help_text="Put the units back into stock when an order is fully refunded.")

    SERVICE_NAMES = {"displayName": "display_name", "price": "price_cents", "restockOnRefund": "restock_on_refund"}

    def service_fields(self) -> dict[str, Any]:
        return {self.SERVICE_NAMES.get(k, k): v for k, v in self.validated_data.items()}


class ProductUpdateSerializer(PartialUpdateMixin, ProductWriteSerializer):
    immutable_fields = ("name",)


class ProductImageSerializer(serializers.Serializer):
    """``multipart/form-data`` with the image file in the part named ``image``."""

    image = serializers.FileField(help_text="PNG, JPEG, WebP or GIF, at most 5 MB.")


# --- cart checkout ---------------------------------------------------------------------------


class CartItemSerializer(serializers.Serializer):
    priceId = StrictCharField(max_length=255, help_text="A product's priceId (from GET /api/products).")
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)


class CartCheckoutSerializer(serializers.Serializer):
    items = CartItemSerializer(many=True, min_length=1, max_length=MAX_LINES)
    email = StrictEmailField(max_length=254, required=False, help_text="Pre-fills the buyer's e-mail on Checkout.")
    name = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    successUrl = RedirectUrlField(help_text="Where Checkout sends the buyer after paying.")
    cancelUrl = RedirectUrlField(help_text="Where the Cancel link of Checkout leads.")


class CartCheckoutResultSerializer(serializers.Serializer):
    url = serializers.URLField(source="checkout_url", help_text="Send the buyer here (Stripe Checkout).")
    sessionId = serializers.CharField(source="stripe_session_id")
    expiresAt = IsoDateTimeField(source="expires_at", help_text="The stock is held until then.")


# --- orders ----------------------------------------------------------------------------------


class OrderLineSerializer(serializers.Serializer):
    productId = serializers.CharField(source="product.public_id")
    priceId = serializers.CharField(source="stripe_price_id")
    name = serializers.CharField(source="product_name")
    quantity = serializers.IntegerField()
    unitAmount = serializers.IntegerField(source="unit_amount")
    amount = serializers.IntegerField(source="amount_total")


class OrderSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id", help_text="ord_…")
    status = serializers.ChoiceField(choices=Order.Status.values)
    customer = serializers.SerializerMethodField(help_text="The buyer's name, else e-mail (as the original's Order).")
    email = serializers.CharField()
    name = serializers.CharField()
    amount = serializers.IntegerField(source="amount_total", help_text="Minor units.")
    amountRefunded = serializers.IntegerField(source="amount_refunded")
    currency = serializers.CharField()
    paymentId = serializers.CharField(source="payment_intent_id", help_text="The Stripe PaymentIntent (pi_…).")
    sessionId = serializers.CharField(source="stripe_session_id")
    date = IsoDateTimeField(source="paid_at", help_text="When it was paid.")
    items = OrderLineSerializer(source="lines", many=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_customer(self, order: Order) -> str:
        return order.name or order.email


class OrderPaginationSerializer(serializers.Serializer):
    page = serializers.IntegerField()
    limit = serializers.IntegerField()
    total = serializers.IntegerField()
    hasMore = serializers.BooleanField()


class OrderPageSerializer(serializers.Serializer):
    orders = OrderSerializer(many=True)
    pagination = OrderPaginationSerializer()


class OrderListQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000, default=1)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)
    since = serializers.DateTimeField(required=False, help_text="Paid at or after (ISO 8601 date or date-time, UTC).")
    until = serializers.DateTimeField(required=False, help_text="Paid before (ISO 8601 date or date-time, UTC).")
    status = serializers.ChoiceField(choices=Order.Status.values, required=False)
    search = serializers.CharField(required=False, allow_blank=True, max_length=254, default="",
                                   help_text="E-mail, name, order id, payment id or product name.")

    def validate(self, attrs: dict) -> dict:
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": ["Must be later than since."]})
        return attrs

