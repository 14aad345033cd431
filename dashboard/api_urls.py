"""The dashboard's endpoints for scripts, under /api/ (secret key)."""

from django.urls import path

from .apis import DashboardApi, DashboardTotalsApi

urlpatterns = [
    path("dashboard", DashboardApi.as_view(), name="api-dashboard"),
    path("dashboard/totals", DashboardTotalsApi.as_view(), name="api-dashboard-totals"),
]
