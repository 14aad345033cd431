"""GET /api/orders: the store's orders with the secret key, newest first, paginated, by date."""

from datetime import datetime, timezone

import pytest

from storefront.models import Order, OrderLine, Product

pytestmark = pytest.mark.django_db

ORDER_KEYS = {"id", "status", "customer", "email", "name", "amount", "amountRefunded", "currency", "paymentId",
              "sessionId", "date", "items"}


def make_order(tenant, *, day: int, amount: int = 1000, email: str = "b@example.com", name: str = "",
               status: str = "paid", mode: str = "test", product: Product | None = None) -> Order:
    product = product or Product.objects.get_or_create(
        project=tenant.project, mode=mode, name="mug",
        defaults={"display_name": "Mug", "price_cents": amount, "stripe_price_id": f"price_{tenant.project.pk}"})[0]
    order = Order.objects.create(
        project=tenant.project, mode=mode, stripe_account_id="acct_x", stripe_session_id=f"cs_{tenant.project.pk}_{day}",
        payment_intent_id=f"pi_{day}", email=email, name=name, amount_total=amount, currency="usd", status=status,
        paid_at=datetime(2026, 3, day, 12, tzinfo=timezone.utc))
    OrderLine.objects.create(order=order, product=product, product_name=product.display_name,
                             stripe_price_id=product.stripe_price_id, quantity=1, unit_amount=amount,
                             amount_total=amount)
    return order


def test_orders_are_listed_newest_first_with_their_lines(alice):
    make_order(alice, day=1, name="Ann")
    newest = make_order(alice, day=2, email="z@example.com")
    body = alice.api().get("/api/orders").json()
    assert body["pagination"] == {"page": 1, "limit": 50, "total": 2, "hasMore": False}
    first = body["orders"][0]
    assert set(first) == ORDER_KEYS
    assert (first["id"], first["customer"], first["date"]) == (newest.public_id, "z@example.com", "2026-03-02T12:00:00Z")
    assert first["items"] == [{"productId": newest.lines.get().product.public_id, "priceId": f"price_{alice.project.pk}",
                               "name": "Mug", "quantity": 1, "unitAmount": 1000, "amount": 1000}]
    assert body["orders"][1]["customer"] == "Ann"


def test_pages_dates_status_and_search(alice):
    for day in range(1, 8):
        make_order(alice, day=day, status="refunded" if day == 3 else "paid", email=f"buyer{day}@example.com")
    api = alice.api()
    page = api.get("/api/orders?page=2&limit=3").json()
    assert [o["date"][:10] for o in page["orders"]] == ["2026-03-04", "2026-03-03", "2026-03-02"]
    assert page["pagination"] == {"page": 2, "limit": 3, "total": 7, "hasMore": True}
    window = api.get("/api/orders?since=2026-03-02&until=2026-03-04").json()["orders"]
    assert [o["date"][:10] for o in window] == ["2026-03-03", "2026-03-02"]  # [since, until)
    since = api.get("/api/orders", {"since": "2026-03-06T12:00:00Z"}).json()["orders"]
    assert len(since) == 2
    assert [o["status"] for o in api.get("/api/orders?status=refunded").json()["orders"]] == ["refunded"]
    assert [o["email"] for o in api.get("/api/orders?search=BUYER5").json()["orders"]] == ["buyer5@example.com"]


def test_the_list_costs_three_queries_however_many_orders(alice, django_assert_num_queries):
    for day in range(1, 6):
        make_order(alice, day=day)
    client = alice.api()
    client.get("/api/orders")
    with django_assert_num_queries(3):  # count, orders, their lines with products
        assert len(client.get("/api/orders").json()["orders"]) == 5


@pytest.mark.parametrize("query, field", [
    ("page=0", "page"), ("limit=101", "limit"), ("limit=x", "limit"), ("since=yesterday", "since"),
    ("since=2026-03-05&until=2026-03-01", "until"), ("status=lost", "status"),
])
def test_bad_parameters_are_a_400(alice, query, field):
    response = alice.api().get(f"/api/orders?{query}")
    assert response.status_code == 400 and field in response.json()["fields"]


def test_orders_need_the_secret_key_and_an_outsider_sees_none(alice, bob):
    make_order(alice, day=1)
    assert alice.api(alice.pk).get("/api/orders").status_code == 403
    assert bob.api().get("/api/orders").json()["orders"] == []
    assert alice.api("sk_test_" + "y" * 30).get("/api/orders").status_code == 401


def test_live_orders_are_not_test_orders(alice):
    alice.platform.paid_plan_active = True
    alice.platform.save()
    make_order(alice, day=1, mode="live")
    assert alice.api().get("/api/orders").json()["orders"] == []
    assert len(alice.api(alice.keys["live"]["secretKey"]).get("/api/orders").json()["orders"]) == 1
