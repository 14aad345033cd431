"""The store's money in the overview, the revenue chart, the totals and /api/dashboard, against
the hand-worked fixtures of conftest.py (build_store's docstring has the arithmetic)."""

from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine

from dashboard.selectors import platform_totals, project_charts, project_overview
from storefront.models import Order
from storefront.selectors import store_revenue
from tenants.services import project_create
from tests.conftest import Tenant

from .conftest import build_shop, build_store, make_order, make_product

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=timezone.utc)
MARCH = datetime(2026, 3, 1, tzinfo=timezone.utc)
# The fields of the original SDK's Product and Order (dream-sdk/src/types.ts).
SDK_PRODUCT = {"name", "price", "priceId", "productId", "id", "displayName", "description", "currency", "imageUrl",
               "inventory", "soldOut", "features"}
SDK_ORDER = {"customer", "email", "amount", "paymentId", "date"}


@pytest.fixture
def store(alice):
    with time_machine.travel(NOW, tick=True):
        yield build_store(alice, NOW)


@pytest.fixture
def shop_and_store(alice):
    with time_machine.travel(NOW, tick=True):
        yield build_shop(alice, NOW), build_store(alice, NOW)


def test_store_revenue_is_paid_orders_minus_refunds_per_currency_and_mode(alice, store):
    project = alice.project.id
    assert store_revenue(project_ids=[project], mode="test", since=MARCH) == {project: {"usd": 4800, "eur": 1800}}
    assert store_revenue(project_ids=[project], mode="test") == {project: {"usd": 6000, "eur": 1800}}
    assert store_revenue(project_ids=[project], mode="test", until=MARCH) == {project: {"usd": 1200}}
    assert store_revenue(project_ids=[project], mode="live") == {project: {"usd": 5000}}


def test_a_refund_reduces_revenue_and_a_full_one_takes_it_all(alice):
    mug = make_product(alice, "mug", 1000)
    order = make_order(alice, [(mug, 3)], paid_at=NOW - timedelta(hours=1))
    overview = lambda: project_overview(project=alice.project, mode="test", now=NOW)  # noqa: E731
    assert overview().revenue_this_month == {"usd": 3000}
    Order.objects.filter(pk=order.pk).update(amount_refunded=1000, status="partially_refunded")
    assert overview().revenue_this_month == {"usd": 2000}
    Order.objects.filter(pk=order.pk).update(amount_refunded=3000, status="refunded")
    assert overview().revenue_this_month == {}
    assert overview().orders_this_month == 1  # still a sale that happened


def test_the_overview_adds_the_store_to_subscriptions_and_keeps_currencies_apart(alice, shop_and_store):
    overview = project_overview(project=alice.project, mode="test", now=NOW)
    assert overview.subscription_revenue_this_month == {"usd": 25900}
    assert overview.store_revenue_this_month == {"usd": 4800, "eur": 1800}
    assert overview.revenue_this_month == {"usd": 30700, "eur": 1800}
    assert overview.orders_this_month == 4
    assert overview.currency == "usd"
    live = project_overview(project=alice.project, mode="live", now=NOW)
    assert live.revenue_this_month == {"usd": 99900 + 5000} and live.orders_this_month == 1


def test_the_revenue_chart_counts_each_order_on_its_day_net_of_refunds(alice, shop_and_store):
    _, _, revenue = project_charts(project=alice.project, mode="test", days=30, currency="usd", now=NOW)
    by_day = dict(revenue.points)
    assert by_day[date(2026, 3, 1)] == 1900                # an invoice
    assert by_day[date(2026, 3, 2)] == 24000 + 2400        # an invoice and ann's order
    assert by_day[date(2026, 3, 3)] == 0                   # ben's order, refunded in full
    assert by_day[date(2026, 3, 4)] == 2400                # cat's 3,600 less 1,200; dora paid in EUR
    assert by_day[date(2026, 2, 24)] == 1200               # eve, last month
    assert revenue.total == 27400 + 6000
    _, _, in_euros = project_charts(project=alice.project, mode="test", days=30, currency="eur", now=NOW)
    assert in_euros.total == 1800 and dict(in_euros.points)[date(2026, 3, 4)] == 1800


def test_a_store_without_sales_reports_in_its_products_currency(alice):
    make_product(alice, "poster", 1800, currency="eur")
    assert project_overview(project=alice.project, mode="test", now=NOW).currency == "eur"


def test_the_totals_across_projects_add_the_store(alice, shop_and_store):
    second, _ = project_create(platform=alice.platform, name="Second shop", kind="store")
    other = Tenant(user=alice.user, platform=alice.platform, project=second, keys={})
    make_order(other, [(make_product(other, "cap", 700), 2)], paid_at=NOW - timedelta(hours=2))
    totals = platform_totals(platform=alice.platform, mode="test", now=NOW)
    rows = {row.project.name: row for row in totals.rows}
    assert rows["Alice's app"].revenue_this_month == {"usd": 30700, "eur": 1800}
    assert rows["Alice's app"].revenue_all_time == {"usd": 33400, "eur": 1800}
    assert rows["Second shop"].revenue_this_month == {"usd": 1400}
    assert totals.total.revenue_this_month == {"usd": 32100, "eur": 1800}
    assert totals.total.revenue_all_time == {"usd": 34800, "eur": 1800}
    assert platform_totals(platform=alice.platform, mode="live", now=NOW).total.revenue_all_time == {"usd": 104900}


def test_the_snapshot_has_the_sdks_store_fields(alice, shop_and_store):
    with time_machine.travel(NOW, tick=True):
        body = alice.api().get("/api/dashboard").json()
    assert (body["currency"], body["totalRevenue"], body["revenueThisMonth"]) == ("usd", 27400 + 6000, 30700)
    assert (body["subscriptionRevenue"], body["storeRevenue"]) == (27400, 6000)
    assert (body["totalSales"], body["avgOrderValue"]) == (5, 2100)  # 8,400 USD gross in 4 orders
    products = {p["name"]: p for p in body["products"]}
    assert set(products) == {"mug", "poster"}  # the live lamp is not in test mode
    assert all(SDK_PRODUCT <= set(p) for p in products.values())
    assert (products["mug"]["price"], products["mug"]["inventory"], products["mug"]["sold"]) == (1200, 3, 7)
    assert products["poster"]["inventory"] is None and products["poster"]["currency"] == "eur"
    assert len(body["orders"]) == 5 and all(SDK_ORDER <= set(o) for o in body["orders"])
    newest = body["orders"][0]
    assert (newest["email"], newest["customer"], newest["amount"], newest["currency"]) == (
        "dora@example.com", "Dora Dean", 1800, "eur")
    assert newest["date"] == "2026-03-04T10:00:00Z" and newest["paymentId"].startswith("pi_fixture")


def test_the_totals_endpoint_adds_the_store(alice, shop_and_store):
    with time_machine.travel(NOW, tick=True):
        body = alice.api().get("/api/dashboard/totals").json()
    assert (body["totalRevenue"], body["totalRevenueThisMonth"]) == (33400, 30700)
    assert body["projects"][0]["revenue"] == 33400


def test_an_average_order_rounds_half_up_and_a_store_without_orders_is_zero(alice):
    assert alice.api().get("/api/dashboard").json()[("avgOrderValue")] == 0
    cap = make_product(alice, "cap", 1)
    make_order(alice, [(cap, 1)], paid_at=NOW)
    make_order(alice, [(cap, 2)], paid_at=NOW)
    body = alice.api().get("/api/dashboard").json()
    assert (body["totalSales"], body["avgOrderValue"]) == (2, 2)  # 3 / 2 = 1.5 → 2


def test_another_developer_sees_none_of_the_store(alice, bob, store):
    body = bob.api().get("/api/dashboard").json()
    assert (body["products"], body["orders"], body["totalSales"], body["storeRevenue"]) == ([], [], 0, 0)
    assert bob.api().get("/api/dashboard/totals").json()["totalRevenue"] == 0
