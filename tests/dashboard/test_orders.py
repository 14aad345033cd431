"""The orders page: search, status and date filters, totals per currency, pages, one order with
its lines and refund state, and the CSV export (streamed, filters carried over)."""

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from storefront.models import Order, OrderLine

from .conftest import build_store, make_order, make_product, streamed

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(alice):
    with time_machine.travel(NOW, tick=True):
        yield build_store(alice, NOW)


def url(tenant, suffix="", mode="test") -> str:
    return f"/dashboard/projects/{tenant.project.public_id}/orders/{suffix}?mode={mode}"


def listed(response) -> list[str]:
    """The buyers' e-mails in the order list, top to bottom."""
    page = response.content.decode()
    return [row.split('data-label="Buyer">')[1].split("<")[0] for row in page.split("<tr>")
            if 'data-label="Buyer">' in row]


def rows_of(response) -> list[dict]:
    assert response.streaming
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_list_is_newest_first_with_totals_per_currency(alice_browser, alice, store):
    response = alice_browser.get(url(alice))
    assert listed(response) == ["dora@example.com", "cat@example.com", "ben@example.com", "ann@example.com",
                                "eve@example.com"]
    page = response.content.decode()
    assert "5 orders" in page
    totals = page.split('id="totals-title"')[1].split("</table>")[0]
    eur, usd = totals.split('<th scope="row">')[1:]
    assert [c.split(">", 1)[1].split("<")[0] for c in usd.split("<td")[1:]][:3] == ["4", "$84.00", "$24.00"]
    assert "$60.00" in usd and "€18.00" in eur  # net: 8,400 − 2,400 refunded; EUR apart
    assert "−$12.00 refunded" in page and "Partially refunded" in page and "Refunded</span>" in page


@pytest.mark.parametrize("q,expected", [
    ("ben@example", ["ben@example.com"]),
    ("cooper", ["cat@example.com"]),
    ("Poster", ["dora@example.com"]),
])
def test_search_finds_by_e_mail_name_and_product(alice_browser, alice, store, q, expected):
    assert listed(alice_browser.get(url(alice), {"q": q})) == expected


def test_search_finds_by_order_and_payment_id(alice_browser, alice, store):
    cat = store.orders["cat"]
    assert listed(alice_browser.get(url(alice), {"q": cat.public_id})) == ["cat@example.com"]
    assert listed(alice_browser.get(url(alice), {"q": cat.payment_intent_id})) == ["cat@example.com"]


def test_status_and_date_filters_and_the_last_day_is_included(alice_browser, alice, store):
    assert listed(alice_browser.get(url(alice), {"status": "refunded"})) == ["ben@example.com"]
    assert listed(alice_browser.get(url(alice), {"status": "partially_refunded"})) == ["cat@example.com"]
    march_3_and_4 = alice_browser.get(url(alice), {"since": "2026-03-03", "until": "2026-03-04"})
    assert listed(march_3_and_4) == ["dora@example.com", "cat@example.com", "ben@example.com"]
    page = march_3_and_4.content.decode()
    assert 'value="2026-03-03"' in page and 'value="2026-03-04"' in page
    assert "export.csv?mode=test&amp;since=2026-03-03&amp;until=2026-03-04" in page
    totals = page.split('id="totals-title"')[1].split("</table>")[0]
    assert "$24.00" in totals and "€18.00" in totals and "$84.00" not in totals  # only these orders
    # A value that is not a date is ignored, not an error.
    assert len(listed(alice_browser.get(url(alice), {"since": "yesterday"}))) == 5


def test_the_orders_of_another_mode_are_apart(alice_browser, alice, store):
    assert listed(alice_browser.get(url(alice, mode="live"))) == ["liv@example.com"]
    live_order = store.orders["live"].public_id
    assert alice_browser.get(url(alice, f"{live_order}/")).status_code == 404
    assert alice_browser.get(url(alice, f"{live_order}/", mode="live")).status_code == 200


def test_orders_are_paged(alice_browser, alice):
    mug = make_product(alice, "mug", 100)
    for i in range(30):
        make_order(alice, [(mug, 1)], paid_at=NOW - timedelta(minutes=i), email=f"b{i:02d}@example.com")
    first = alice_browser.get(url(alice), {"q": "example"})
    assert len(listed(first)) == 25 and listed(first)[0] == "b00@example.com"
    assert "page=2" in first.content.decode() and "q=example" in first.content.decode()
    second = alice_browser.get(url(alice), {"q": "example", "page": 2})
    assert listed(second) == [f"b{i:02d}@example.com" for i in range(25, 30)]


def test_one_order_shows_its_lines_payment_and_refund_state(alice_browser, alice, store):
    cat = store.orders["cat"]
    page = alice_browser.get(url(alice, f"{cat.public_id}/")).content.decode()
    assert "Partially refunded" in page and "Refunded in part" in page
    assert "$36.00" in page and "$12.00" in page and "$24.00" in page  # paid, refunded, net
    assert "Mug</a>" in page and "price_mug_test" in page
    assert f"https://dashboard.stripe.com/test/payments/{cat.payment_intent_id}" in page
    assert cat.stripe_session_id in page and "cat@example.com" in page and "Cat Cooper" in page
    ben = alice_browser.get(url(alice, f"{store.orders['ben'].public_id}/")).content.decode()
    assert "Refunded in full" in ben
    assert alice_browser.get(url(alice, "ord_nothing/")).status_code == 404


def test_the_csv_has_every_order_and_carries_the_filters(alice_browser, alice, store):
    response = alice_browser.get(url(alice, "export.csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{alice.project.public_id}-test-orders.csv"'
    everything = rows_of(response)
    assert [r["email"] for r in everything] == ["dora@example.com", "cat@example.com", "ben@example.com",
                                                "ann@example.com", "eve@example.com"]
    cat = everything[1]
    assert (cat["order"], cat["status"], cat["items"], cat["amount"], cat["refunded"], cat["currency"]) == (
        store.orders["cat"].public_id, "partially_refunded", "3 x Mug", "3600", "1200", "usd")
    assert cat["paid_at"] == "2026-03-04T09:00:00+00:00" and cat["payment_intent"].startswith("pi_fixture")
    refunded = rows_of(alice_browser.get(url(alice, "export.csv"), {"status": "refunded"}))
    assert [r["email"] for r in refunded] == ["ben@example.com"]
    searched = rows_of(alice_browser.get(url(alice, "export.csv"), {"q": "poster", "until": "2026-03-04"}))
    assert [r["email"] for r in searched] == ["dora@example.com"]
    assert rows_of(alice_browser.get(url(alice, "export.csv"), {"until": "2026-03-01"}))[0]["email"] == (
        "eve@example.com")


def test_a_buyers_name_that_would_run_as_a_formula_is_written_as_text(alice_browser, alice):
    mug = make_product(alice, "mug", 100)
    make_order(alice, [(mug, 1)], paid_at=NOW, name="=HYPERLINK(\"http://evil\")")
    assert rows_of(alice_browser.get(url(alice, "export.csv")))[0]["name"] == "'=HYPERLINK(\"http://evil\")"


@pytest.mark.slow
def test_a_large_export_streams_without_being_held_in_memory(alice_browser, alice):
    mug = make_product(alice, "mug", 1200)
    total = 30_000
    orders = Order.objects.bulk_create(
        (Order(project=alice.project, mode="test", stripe_account_id="acct_x", stripe_session_id=f"cs_{i:06d}",
               payment_intent_id=f"pi_{i:06d}", email=f"buyer{i:06d}@example.com", name=f"Buyer {i}",
               amount_total=1200, currency="usd", paid_at=NOW - timedelta(seconds=i)) for i in range(total)),
        batch_size=5000)
    OrderLine.objects.bulk_create(
        (OrderLine(order=order, product=mug, product_name="Mug", stripe_price_id="price_mug", quantity=1,
                   unit_amount=1200, amount_total=1200) for order in orders), batch_size=5000)
    del orders
    # Warm up first (imports, URL resolving): only the export itself is measured.
    assert rows_of(alice_browser.get(url(alice, "export.csv"), {"q": "nobody"})) == []
    size, lines, peak = streamed(alice_browser.get(url(alice, "export.csv")))
    assert lines == total + 1
    # The file is ~4 MB; orders and their lines are read and written a chunk at a time, so far
    # less is ever held at once (a list of every order alone would take more than the file).
    assert peak < size / 3, (peak, size)
