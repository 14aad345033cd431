"""GET /api/dashboard and /api/dashboard/totals: the original SDK's DashboardMetrics and totals,
with the secret key, on the hand-worked fixture."""

from datetime import datetime, timezone

import pytest
import time_machine
from django.test import Client

from .conftest import build_shop, build_store

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=timezone.utc)
# The fields of DashboardMetrics and DashboardCustomer in the original dream-sdk/src/types.ts.
SDK_METRICS = {"activeSubscriptions", "cancelingSubscriptions", "mrr", "usageThisPeriod", "customers", "tiers",
               "webhookStatus", "totalRevenue", "totalSales", "avgOrderValue", "products", "orders"}
SDK_CUSTOMER = {"id", "email", "plan", "usage", "limit", "status"}
SDK_TIER = {"name", "displayName", "price", "limit", "priceId", "productId", "features", "popular"}
SDK_WEBHOOK = {"url", "recentEvents"}
SDK_TOTALS = {"totalRevenue", "totalCustomers", "totalMRR"}


@pytest.fixture
def shop(alice):
    with time_machine.travel(NOW, tick=True):
        yield build_shop(alice, NOW)


def test_the_snapshot_has_the_sdks_fields_and_the_right_numbers(alice, shop):
    with time_machine.travel(NOW, tick=True):
        response = alice.api().get("/api/dashboard")
    assert response.status_code == 200, response.content
    body = response.json()
    assert SDK_METRICS <= set(body)
    assert (body["activeSubscriptions"], body["cancelingSubscriptions"], body["mrr"]) == (6, 1, 9200)
    assert (body["currency"], body["revenueThisMonth"], body["totalRevenue"]) == ("usd", 25900, 27400)
    assert (body["usageThisPeriod"], body["customersTotal"], body["customersNewThisMonth"]) == (11, 11, 8)
    customers = {c["email"]: c for c in body["customers"]}
    assert len(customers) == 11 and all(SDK_CUSTOMER <= set(c) for c in customers.values())
    assert customers["ada@example.com"]["usage"] == 8 and customers["ada@example.com"]["limit"] == 1000
    assert customers["ada@example.com"]["status"] == "active"
    assert customers["ada@example.com"]["renewsAt"] == "2026-04-04T12:00:00Z"
    assert customers["dan@example.com"]["status"] == "canceling" and customers["dan@example.com"]["renewsAt"] is None
    assert customers["gus@example.com"]["status"] == "canceled"
    assert customers["cleo@example.com"]["limit"] == "unlimited"  # as the original sent it
    assert customers["ivy@example.com"]["status"] == "none"
    tiers = {t["name"]: t for t in body["tiers"]}
    assert all(SDK_TIER <= set(t) for t in tiers.values())
    # The same shape as GET /api/tiers: strings for Stripe ids (empty when there is none), "unlimited".
    assert tiers["team"] == {"id": "team", "name": "team", "displayName": "Team", "price": 24000, "currency": "usd",
                             "interval": "year", "limit": "unlimited", "priceId": "price_team", "productId": "",
                             "features": [], "popular": False, "billingMode": "subscription",
                             "entitlements": {"api_calls": "unlimited"}, "trialDays": 0, "trialRequiresCard": True}
    assert body["tiers"] == alice.api().get("/api/tiers").json()["tiers"]
    webhook = body["webhookStatus"]
    assert SDK_WEBHOOK <= set(webhook) and webhook["url"].endswith("/webhook/stripe")
    assert webhook["failedEvents"] == 1 and len(webhook["recentEvents"]) == 5  # the live one is not here
    assert {"type", "timestamp"} <= set(webhook["recentEvents"][0])


def test_the_totals_have_the_sdks_fields(alice, shop):
    with time_machine.travel(NOW, tick=True):
        body = alice.api().get("/api/dashboard/totals").json()
    assert SDK_TOTALS <= set(body)
    assert (body["totalRevenue"], body["totalCustomers"], body["totalMRR"]) == (27400, 11, 9200)
    assert body["projects"] == [{"id": alice.project.public_id, "name": "Alice's app", "mrr": 9200,
                                 "revenue": 27400, "customers": 11, "activeSubscriptions": 6}]


def test_another_developers_key_sees_only_its_own_numbers(alice, bob, shop):
    snapshot = bob.api().get("/api/dashboard").json()
    assert (snapshot["projectId"], snapshot["mrr"], snapshot["customers"], snapshot["customersTotal"]) == (
        bob.project.public_id, 0, [], 0)
    assert snapshot["webhookStatus"]["recentEvents"] == []
    totals = bob.api().get("/api/dashboard/totals").json()
    assert (totals["totalRevenue"], totals["totalCustomers"], totals["totalMRR"]) == (0, 0, 0)
    assert [p["id"] for p in totals["projects"]] == [bob.project.public_id]


@pytest.mark.parametrize("path", ["/api/dashboard", "/api/dashboard/totals"])
def test_it_needs_a_secret_key_of_the_right_mode(alice, path):
    assert Client().get(path).status_code == 401
    assert alice.api("sk_test_" + "x" * 40).get(path).status_code == 401
    refused = alice.api(alice.pk).get(path)
    assert refused.status_code == 403 and refused.json()["code"] == "secret_key_required"
    live = alice.api(alice.keys["live"]["secretKey"]).get(path)
    assert live.status_code == 403 and live.json()["code"] == "live_mode_requires_paid_plan"
    mismatch = alice.api(HTTP_X_ENV="live").get(path)
    assert mismatch.status_code == 400 and mismatch.json()["code"] == "mode_mismatch"


def test_a_live_key_reads_live_data_only(alice, shop):
    alice.platform.paid_plan_active = True
    alice.platform.save()
    body = alice.api(alice.keys["live"]["secretKey"]).get("/api/dashboard").json()
    assert (body["mode"], body["customersTotal"], body["totalRevenue"]) == ("live", 0, 99900)


def test_the_schema_documents_both_endpoints_and_their_statuses(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path, component in [("/api/dashboard", "DashboardMetrics"), ("/api/dashboard/totals", "DashboardTotals")]:
        responses = schema["paths"][path]["get"]["responses"]
        # 413, 414, 431 and 503 can answer any /api/ request (the kernel and the server).
        assert set(responses) == {"200", "400", "401", "403", "413", "414", "429", "431", "503"}
        assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith(f"/{component}")
    metrics = schema["components"]["schemas"]["DashboardMetrics"]["properties"]
    assert SDK_METRICS <= set(metrics)
    assert SDK_TOTALS <= set(schema["components"]["schemas"]["DashboardTotals"]["properties"])


def test_the_snapshot_costs_a_bounded_number_of_queries(alice, shop, django_assert_max_num_queries):
    build_store(alice, NOW)  # products and orders with lines: still a fixed number of queries
    alice.api().get("/api/dashboard")  # warms the key cache
    with django_assert_max_num_queries(16):
        alice.api().get("/api/dashboard")
