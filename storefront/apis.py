"""The store's API: the catalogue (public read, secret write), product images, guest cart
checkout, orders, and the public image files.

Tenancy is structural: every view reaches products and orders only through
``self.products()`` / ``self.orders()``, already filtered to the key's project and mode.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.files.storage import storages
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, HttpResponseNotModified
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dreamapi.clientip import client_ip
from dreamapi.errors import ApiError, NotFound
from dreamapi.openapi import X_ENV, errors
from dreamapi.ratelimit import RateLimited, rate_limit_hit
from tenants.api_base import ProjectAPIView, PublicProjectAPIView, PublicReadSecretWriteAPIView
from tenants.models import ApiKey

from . import selectors, services
from .models import Asset, Order, Product
from .serializers import (
    CartCheckoutResultSerializer,
    CartCheckoutSerializer,
    OrderListQuerySerializer,
    OrderPageSerializer,
    ProductEnvelopeSerializer,
    ProductImageSerializer,
    ProductListSerializer,
    ProductUpdateSerializer,
    ProductWriteSerializer,
)
from .services.assets import CONTENT_TYPES, STORAGE_ALIAS


class StoreScope:
    """``products()`` and ``orders()`` of the key's project and mode: the only way in."""

    key: object

    def products(self) -> QuerySet[Product]:
        return Product.objects.filter(project_id=self.key.project_id, mode=self.key.mode)  # type: ignore[attr-defined]

    def orders(self) -> QuerySet[Order]:
        return Order.objects.filter(project_id=self.key.project_id, mode=self.key.mode)  # type: ignore[attr-defined]

    def get_product(self, product_id: str) -> Product:
        """By id (prd_…) or by name; 404 for anything not in this project and mode."""
        products = self.products().select_related("image", "project")
        product = products.filter(public_id=product_id).first() or products.filter(name=product_id).first()
        if product is None:
            raise NotFound(f"No product '{product_id}' in this project and mode.", code="product_not_found")
        return product


def _product_response(product: Product, status: int = 200) -> Response:
    return Response(ProductEnvelopeSerializer({"success": True, "product": product}).data, status=status)


PRODUCT_ID = OpenApiParameter("product_id", str, OpenApiParameter.PATH, description="The product's id (prd_…) or name.")


class ProductCollectionApi(StoreScope, PublicReadSecretWriteAPIView):
    """``GET /api/products`` (publishable or secret key) and ``POST /api/products`` (secret key)."""

    @extend_schema(operation_id="products_list", summary="The store's products for sale", parameters=[X_ENV],
                   responses={200: ProductListSerializer, **errors(400, 401, 403, 429)})
    def get(self, request: Request) -> Response:
        products = selectors.products_for_sale(project_id=self.key.project_id, mode=self.mode)
        return Response(ProductListSerializer({"products": products}).data)

    @extend_schema(operation_id="products_create", summary="Add a product (and its Stripe Product and Price)",
                   parameters=[X_ENV], request=ProductWriteSerializer,
                   responses={201: ProductEnvelopeSerializer,
                              **errors(400, 401, 403, 409, 413, 415, 429, 502, 503)})
    def post(self, request: Request) -> Response:
        body = ProductWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        product = services.product_create(project=self.project(), mode=self.mode, actor=self.actor,
                                           **body.service_fields())
        return _product_response(product, status=201)


class ProductDetailApi(StoreScope, ProjectAPIView):
    """``GET``, ``PATCH``, ``DELETE /api/products/{id}`` (secret key)."""

    @extend_schema(operation_id="products_retrieve", summary="A product with its stock counters",
                   parameters=[PRODUCT_ID, X_ENV],
                   responses={200: ProductEnvelopeSerializer, **errors(400, 401, 403, 404, 429)})
    def get(self, request: Request, product_id: str) -> Response:
        return _product_response(self.get_product(product_id))

    @extend_schema(operation_id="products_update", summary="Change a product (a new price makes a new Stripe Price)",
                   parameters=[PRODUCT_ID, X_ENV], request=ProductUpdateSerializer,
                   responses={200: ProductEnvelopeSerializer,
                              **errors(400, 401, 403, 404, 409, 413, 415, 429, 502, 503)})
    def patch(self, request: Request, product_id: str) -> Response:
        product = self.get_product(product_id)
        body = ProductUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _product_response(services.product_update(product=product, actor=self.actor, **body.service_fields()))

    @extend_schema(operation_id="products_archive",
                   summary="Archive a product: no longer listed or sold; its orders and counters stay",
                   parameters=[PRODUCT_ID, X_ENV],
                   responses={200: ProductEnvelopeSerializer, **errors(400, 401, 403, 404, 409, 429, 502, 503)})
    def delete(self, request: Request, product_id: str) -> Response:
        return _product_response(services.product_archive(product=self.get_product(product_id), actor=self.actor))


class ProductImageApi(StoreScope, ProjectAPIView):
    """``POST /api/products/{id}/image`` (multipart, field ``image``) and ``DELETE`` (secret key)."""

    parser_classes = [MultiPartParser]

    @extend_schema(operation_id="products_image_upload", summary="Set a product's image (PNG, JPEG, WebP, GIF ≤ 5 MB)",
                   parameters=[PRODUCT_ID, X_ENV], request={"multipart/form-data": ProductImageSerializer},
                   responses={200: ProductEnvelopeSerializer,
                              **errors(400, 401, 403, 404, 409, 413, 415, 429, 502, 503)})
    def post(self, request: Request, product_id: str) -> Response:
        product = self.get_product(product_id)
        upload = request.FILES.get("image")
        if upload is None:
            raise ApiError("Send the image as multipart/form-data in a part named 'image'.", code="image_required",
                           extra={"fields": {"image": ["This field is required."]}})
        return _product_response(services.product_set_image(product=product, upload=upload, actor=self.actor))

    @extend_schema(operation_id="products_image_delete", summary="Remove a product's image",
                   parameters=[PRODUCT_ID, X_ENV],
                   responses={200: ProductEnvelopeSerializer, **errors(400, 401, 403, 404, 409, 429, 502, 503)})
    def delete(self, request: Request, product_id: str) -> Response:
        return _product_response(services.product_set_image(product=self.get_product(product_id), upload=None,
                                                                 actor=self.actor))


class CartCheckoutApi(PublicProjectAPIView):
    """``POST /api/cart/checkout`` (publishable or secret key): a guest Checkout for a cart."""

    def check_rate_limit(self) -> None:
        """A publishable key is public: each browser address may start a limited number of checkouts."""
        if self.key.kind != ApiKey.Kind.PUBLISHABLE:
            return
        limit = settings.STORE_CART_CHECKOUTS_PER_MINUTE
        result = rate_limit_hit(scope=f"cart:{self.key.project_id}:{self.mode}:{client_ip(self.request)}",
                                limit=limit)
        if not result.allowed:
            raise RateLimited(f"Too many checkouts from this address; try again in {result.retry_after} s.",
                              retry_after=result.retry_after, headers=result.headers())

    @extend_schema(
        operation_id="cart_checkout", summary="Hold the cart's stock and start a guest Stripe Checkout",
        parameters=[X_ENV, OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, description=(
            "Optional. A retried request with the same key gets the first answer, never a second hold."))],
        request=CartCheckoutSerializer,
        responses={200: CartCheckoutResultSerializer, **errors(400, 401, 403, 409, 413, 415, 429, 502, 503)},
    )
    def post(self, request: Request) -> Response:
        self.check_rate_limit()
        body = CartCheckoutSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        self.check_redirect_urls({name: data.get(name) for name in ("successUrl", "cancelUrl")})
        key = (request.headers.get("Idempotency-Key") or "").strip()[:255] or None
        reservation = services.cart_checkout_start(
            project=self.project(), mode=self.mode,
            items=[services.CartItem(price_id=i["priceId"], quantity=i["quantity"]) for i in data["items"]],
            email=data.get("email", ""), name=data.get("name", ""),
            success_url=data.get("successUrl"), cancel_url=data.get("cancelUrl"), idempotency_key=key,
        )
        return Response(CartCheckoutResultSerializer(reservation).data)


class OrderListApi(StoreScope, ProjectAPIView):
    """``GET /api/orders`` (secret key): the store's orders, newest first, paginated."""

    @extend_schema(operation_id="orders_list", summary="The store's orders (paginated, filter by date)",
                   parameters=[OrderListQuerySerializer, X_ENV],
                   responses={200: OrderPageSerializer, **errors(400, 401, 403, 429)})
    def get(self, request: Request) -> Response:
        query = OrderListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        orders = selectors.orders_search(project_id=self.key.project_id, mode=self.mode, search=q["search"],
                                         status=q.get("status"), since=q.get("since"), until=q.get("until"))
        page, limit = q["page"], q["limit"]
        total = orders.count()
        offset = (page - 1) * limit
        rows = list(orders[offset: offset + limit])
        return Response(OrderPageSerializer({
            "orders": rows,
            "pagination": {"page": page, "limit": limit, "total": total, "hasMore": offset + len(rows) < total},
        }).data)


ASSET_KEY = re.compile(r"^prj_[A-Za-z0-9]{1,40}/[A-Za-z0-9]{1,64}\.(png|jpg|webp|gif)$")
ONE_YEAR = 365 * 24 * 3600


class AssetApi(APIView):
    """``GET /api/assets/{key}``: a product image, public and cacheable for a year (keys never
    change content), never something a browser could run."""

    authentication_classes: list = []
    permission_classes: list = []

    def perform_content_negotiation(self, request, force=False):
        # An <img> asks for image/*; the body is the file, whatever the Accept header says.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="assets_retrieve", summary="A product image (no key needed)", auth=[],
        parameters=[OpenApiParameter("key", str, OpenApiParameter.PATH,
                                     description="As in a product's imageUrl: <project id>/<name>.<png|jpg|webp|gif>")],
        responses={**{(200, ct): OpenApiResponse(OpenApiTypes.BINARY, description="The image.")
                      for ct in CONTENT_TYPES.values()},
                   304: OpenApiResponse(description="Not modified (If-None-Match)."), **errors(404)},
    )
    def get(self, request: Request, key: str) -> HttpResponse:
        if not ASSET_KEY.match(key):
            raise NotFound("No such image.", code="asset_not_found")
        asset = Asset.objects.filter(key=key).only("key", "content_type", "size", "sha256").first()
        if asset is None:
            raise NotFound("No such image.", code="asset_not_found")
        etag = f'"{asset.sha256}"'
        if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            response: HttpResponse = HttpResponseNotModified()
        else:
            try:
                handle = storages[STORAGE_ALIAS].open(asset.key, "rb")
            except FileNotFoundError as exc:
                raise NotFound("No such image.", code="asset_not_found") from exc
            response = FileResponse(handle, content_type=asset.content_type)
            response["Content-Length"] = str(asset.size)
            response["Content-Disposition"] = f'inline; filename="{asset.key.rsplit("/", 1)[1]}"'
        response["ETag"] = etag
        response["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cross-Origin-Resource-Policy"] = "cross-origin"
        response["Access-Control-Allow-Origin"] = "*"
        return response
