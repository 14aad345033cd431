"""The customer API: paths, headers and JSON keys compatible with the original service."""

from django.conf import settings
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from billing.apis import ChangePlanApi, CheckoutApi, PortalApi
from billing.apis_manage import TierCollectionApi, TierDetailApi
from storefront.apis import (
    AssetApi,
    CartCheckoutApi,
    OrderListApi,
    ProductCollectionApi,
    ProductDetailApi,
    ProductImageApi,
)
from tenants.apis import CustomerDetailApi, CustomerListCreateApi
from usage.apis import FeatureCheckApi, UsageApi, track_usage

urlpatterns = [
    path("customers", CustomerListCreateApi.as_view(), name="api-customers"),
    path("customers/<str:customer_id>", CustomerDetailApi.as_view(), name="api-customer"),
    path("data", track_usage, name="api-data"),
    path("usage", UsageApi.as_view(), name="api-usage"),
    path("check", FeatureCheckApi.as_view(), name="api-check"),
    path("tiers", TierCollectionApi.as_view(), name="api-tiers"),
    path("tiers/<str:tier_id>", TierDetailApi.as_view(), name="api-tier"),
    path("create-checkout", CheckoutApi.as_view(), name="api-create-checkout"),
    path("customer-portal", PortalApi.as_view(), name="api-customer-portal"),
    path("change-plan", ChangePlanApi.as_view(), name="api-change-plan"),
    path("products", ProductCollectionApi.as_view(), name="api-products"),
    path("products/<str:product_id>", ProductDetailApi.as_view(), name="api-product"),
    path("products/<str:product_id>/image", ProductImageApi.as_view(), name="api-product-image"),
    path("cart/checkout", CartCheckoutApi.as_view(), name="api-cart-checkout"),
    path("orders", OrderListApi.as_view(), name="api-orders"),
    path("assets/<path:key>", AssetApi.as_view(), name="api-asset"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # GET only: drf-spectacular's OPTIONS on these HTML views fails (no template) with a 500.
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", http_method_names=["get", "head"]),
         name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema", http_method_names=["get", "head"]),
         name="api-redoc"),
]

if settings.BENCH_ENDPOINTS:
    from usage.bench import NoopDrfApi, noop, roundtrips

    urlpatterns += [
        path("_bench/noop", noop, name="api-bench-noop"),
        path("_bench/noop-drf", NoopDrfApi.as_view(), name="api-bench-noop-drf"),
        path("_bench/roundtrips", roundtrips, name="api-bench-roundtrips"),
    ]
