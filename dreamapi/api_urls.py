"""The customer API: paths, headers and JSON keys compatible with the original service."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from billing.apis import TierListApi
from tenants.apis import CustomerDetailApi, CustomerListCreateApi
from usage.apis import TrackUsageApi, UsageApi

urlpatterns = [
    path("customers", CustomerListCreateApi.as_view(), name="api-customers"),
    path("customers/<str:customer_id>", CustomerDetailApi.as_view(), name="api-customer"),
    path("data", TrackUsageApi.as_view(), name="api-data"),
    path("usage", UsageApi.as_view(), name="api-usage"),
    path("tiers", TierListApi.as_view(), name="api-tiers"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
