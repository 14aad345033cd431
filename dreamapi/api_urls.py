"""The customer API: paths, headers and JSON keys compatible with the original service."""

from django.conf import settings
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from billing.apis import CheckoutApi, PortalApi, TierListApi
from tenants.apis import CustomerDetailApi, CustomerListCreateApi
from usage.apis import FeatureCheckApi, TrackUsageApi, UsageApi

urlpatterns = [
    path("customers", CustomerListCreateApi.as_view(), name="api-customers"),
    path("customers/<str:customer_id>", CustomerDetailApi.as_view(), name="api-customer"),
    path("data", TrackUsageApi.as_view(), name="api-data"),
    path("usage", UsageApi.as_view(), name="api-usage"),
    path("check", FeatureCheckApi.as_view(), name="api-check"),
    path("tiers", TierListApi.as_view(), name="api-tiers"),
    path("create-checkout", CheckoutApi.as_view(), name="api-create-checkout"),
    path("customer-portal", PortalApi.as_view(), name="api-customer-portal"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

if settings.BENCH_ENDPOINTS:
    from usage.bench import NoopApi

    urlpatterns.append(path("_bench/noop", NoopApi.as_view(), name="api-bench-noop"))
