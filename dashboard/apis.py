"""``GET /api/dashboard`` and ``GET /api/dashboard/totals``: the original service's metrics
snapshot and totals, for scripts, with the secret key. The key decides the project and the
mode; the totals cover every project of the key's developer in that mode."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from billing.apis import TierSerializer
from dreamapi.db import read_snapshot
from dreamapi.openapi import X_ENV, errors
from storefront.serializers import OrderSerializer, ProductDetailSerializer
from tenants.api_base import ProjectAPIView
from usage.serializers import LimitField

from .selectors import (
    API_CUSTOMERS,
    API_ORDERS,
    API_RECENT_EVENTS,
    dashboard_snapshot,
    dashboard_totals,
)

_MONEY = "Minor units (cents) of `currency`."


class DashboardCustomerSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="usr_…")
    email = serializers.CharField(help_text="Empty for an end user created on first use by an external id.")
    externalId = serializers.CharField(allow_null=True, help_text="The app's own id for the end user, if it set one.")
    plan = serializers.CharField(help_text="The tier id.")
    usage = serializers.IntegerField(help_text="Tracked calls in the end user's current usage period.")
    limit = LimitField(help_text="Calls per period, or \"unlimited\".")
    status = serializers.ChoiceField(
        choices=["none", "active", "trialing", "past_due", "canceling", "canceled", "unpaid", "incomplete",
                 "incomplete_expired", "paused"],
        help_text="The latest subscription's state; `none` without one.")
    renewsAt = serializers.DateTimeField(allow_null=True, help_text="Next renewal of an ongoing subscription.")
    createdAt = serializers.DateTimeField()


class WebhookEventSerializer(serializers.Serializer):
    type = serializers.CharField()
    timestamp = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["pending", "processing", "processed", "ignored", "failed"])


class WebhookStatusSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The Connect webhook endpoint.")
    lastEvent = serializers.DateTimeField(allow_null=True)
    failedEvents = serializers.IntegerField()
    recentEvents = WebhookEventSerializer(many=True, help_text=f"The last {API_RECENT_EVENTS}, newest first.")


class DashboardMetricsSerializer(serializers.Serializer):
    projectId = serializers.CharField()
    mode = serializers.ChoiceField(choices=["test", "live"])
    currency = serializers.CharField(help_text="The currency of `mrr` and the revenue figures: the one with the "
                                               "most money (see `mrrByCurrency` for all).")
    activeSubscriptions = serializers.IntegerField(help_text="Active, trialing and past due; canceling ones included.")
    cancelingSubscriptions = serializers.IntegerField(help_text="Cancelled at period end, period not over yet.")
    trialingSubscriptions = serializers.IntegerField()
    mrr = serializers.IntegerField(help_text="Monthly recurring revenue: each active price per month (yearly "
                                             "counts 1/12), canceling ones until their period ends, trials "
                                             "excluded. " + _MONEY)
    mrrByCurrency = serializers.DictField(child=serializers.IntegerField())
    totalRevenue = serializers.IntegerField(help_text="All time: paid invoices plus the store's paid orders minus "
                                                      "their refunds. " + _MONEY)
    subscriptionRevenue = serializers.IntegerField(help_text="Paid invoices, all time. " + _MONEY)
    storeRevenue = serializers.IntegerField(help_text="The store's paid orders minus their refunds, all time. "
                                                      + _MONEY)
    revenueThisMonth = serializers.IntegerField(help_text="Paid invoices and orders (minus their refunds) this "
                                                          "calendar month (UTC). " + _MONEY)
    totalSales = serializers.IntegerField(help_text="The store's orders, all time, in every currency (refunded "
                                                    "ones included).")
    avgOrderValue = serializers.IntegerField(help_text="The average amount paid per order in `currency`, before "
                                                       "refunds. " + _MONEY)
    usageThisPeriod = serializers.IntegerField(help_text="Tracked calls of all end users in their current periods.")
    customersTotal = serializers.IntegerField()
    customersNewThisMonth = serializers.IntegerField()
    customers = DashboardCustomerSerializer(many=True, help_text=f"The {API_CUSTOMERS} newest end users.")
    tiers = TierSerializer(many=True, help_text="As `GET /api/tiers` has them.")
    products = ProductDetailSerializer(many=True, help_text="Every product, archived ones too, with its stock.")
    orders = OrderSerializer(many=True, help_text=f"The {API_ORDERS} newest orders.")
    webhookStatus = WebhookStatusSerializer()


class ProjectTotalsSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    mrr = serializers.IntegerField()
    revenue = serializers.IntegerField(help_text="Paid invoices and orders (minus refunds), all time.")
    customers = serializers.IntegerField()
    activeSubscriptions = serializers.IntegerField()


class DashboardTotalsSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=["test", "live"])
    currency = serializers.CharField()
    totalRevenue = serializers.IntegerField(help_text="Paid invoices and orders (minus refunds) of every project, "
                                                      "all time. " + _MONEY)
    totalRevenueThisMonth = serializers.IntegerField()
    totalCustomers = serializers.IntegerField(help_text="End users of every project in this mode.")
    totalMRR = serializers.IntegerField(help_text=_MONEY)
    activeSubscriptions = serializers.IntegerField()
    cancelingSubscriptions = serializers.IntegerField()
    projects = ProjectTotalsSerializer(many=True)


class DashboardApi(ProjectAPIView):
    @extend_schema(
        operation_id="dashboard_get",
        summary="The project's metrics snapshot (the original's DashboardMetrics)",
        description="For the key's project and mode. Money is in minor units of `currency`.",
        parameters=[X_ENV],
        responses={200: DashboardMetricsSerializer, **errors(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        project = self.project()
        with read_snapshot():  # the totals and their parts from one state of the database
            data = DashboardMetricsSerializer(dashboard_snapshot(project=project, mode=self.mode)).data
        return Response(data)


class DashboardTotalsApi(ProjectAPIView):
    @extend_schema(
        operation_id="dashboard_totals",
        summary="Totals over every project of the developer (the original's totals)",
        description="Every project of the key's developer, in the key's mode.",
        parameters=[X_ENV],
        responses={200: DashboardTotalsSerializer, **errors(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        platform = self.project().platform
        with read_snapshot():
            data = DashboardTotalsSerializer(dashboard_totals(platform=platform, mode=self.mode)).data
        return Response(data)
