"""What the dashboard pages will read: products with their counters and revenue, orders with
search and totals, revenue per day and month, and the streamed CSV export."""

import csv
import io
import types
from datetime import date

import pytest

from storefront import selectors
from storefront.models import Order, Product

from .test_orders_api import make_order

pytestmark = pytest.mark.django_db


def test_products_with_stock_counts_orders_and_revenue(alice):
    mug = Product.objects.create(project=alice.project, mode="test", name="mug", display_name="Mug", price_cents=500,
                                 inventory=10, reserved=2, sold=3)
    Product.objects.create(project=alice.project, mode="test", name="old", display_name="Old", price_cents=1,
                           active=False)
    make_order(alice, day=1, amount=500, product=mug)
    make_order(alice, day=2, amount=1000, product=mug)
    rows = list(selectors.products_with_stock(project_id=alice.project.id, mode="test"))
    assert [(p.name, p.available, p.reserved, p.sold, p.orders_count, p.revenue) for p in rows] == [
        ("mug", 8, 2, 3, 2, 1500), ("old", None, 0, 0, 0, 0)]
    assert [p.name for p in selectors.products_with_stock(project_id=alice.project.id, mode="test",
                                                          include_archived=False)] == ["mug"]


def test_orders_search_and_totals_per_currency(alice, bob):
    make_order(alice, day=1, amount=1000, name="Ann Lee")
    refunded = make_order(alice, day=2, amount=3000, email="zed@example.com")
    Order.objects.filter(pk=refunded.pk).update(status="refunded", amount_refunded=3000)
    make_order(bob, day=1, amount=99_999)
    found = selectors.orders_search(project_id=alice.project.id, mode="test", search="ann")
    assert [o.name for o in found] == ["Ann Lee"]
    assert selectors.orders_search(project_id=alice.project.id, mode="test", search="Mug").count() == 2
    everything = selectors.orders_search(project_id=alice.project.id, mode="test")
    assert selectors.orders_totals(orders=everything) == [
        {"currency": "usd", "orders": 2, "gross": 4000, "refunded": 3000, "net": 1000}]


def test_revenue_per_day_and_month(alice):
    make_order(alice, day=1, amount=100)
    make_order(alice, day=1 + 1, amount=200)
    late = make_order(alice, day=31, amount=400)
    Order.objects.filter(pk=late.pk).update(amount_refunded=150)
    days = selectors.revenue_by_period(project_id=alice.project.id, mode="test", period="day")
    assert [(r["period"], r["gross"], r["net"]) for r in days] == [
        (date(2026, 3, 1), 100, 100), (date(2026, 3, 2), 200, 200), (date(2026, 3, 31), 400, 250)]
    months = selectors.revenue_by_period(project_id=alice.project.id, mode="test", period="month",
                                         since=date(2026, 3, 2))
    assert months == [{"period": date(2026, 3, 1), "currency": "usd", "orders": 2, "gross": 600, "refunded": 150,
                       "net": 450}]


def test_the_csv_is_streamed_line_by_line_and_cannot_run_formulas(alice, django_assert_max_num_queries):
    for day in range(1, 4):
        make_order(alice, day=day, name="=HYPERLINK(\"http://evil\")" if day == 2 else "Bo, \"the\" buyer")
    stream = selectors.orders_csv(orders=selectors.orders_search(project_id=alice.project.id, mode="test"),
                                  chunk_size=2)
    assert isinstance(stream, types.GeneratorType)
    with django_assert_max_num_queries(4):  # two chunks of orders, each with one query for its lines
        lines = list(stream)
    assert len(lines) == 4 and all(line.endswith("\r\n") for line in lines)
    rows = list(csv.reader(io.StringIO("".join(lines))))
    assert rows[0] == selectors.ORDERS_CSV_HEADER
    assert [r[4] for r in rows[1:]] == ['Bo, "the" buyer', "'=HYPERLINK(\"http://evil\")", 'Bo, "the" buyer']
    assert rows[1][5] == "1 x Mug" and rows[1][6] == "1000"
