"""After the checkout, over HTTP against the stand-in: signed webhooks go to a live server and
billing's pipeline hands the store's events to the store. Paid carts become orders once,
expired ones give their stock back, refunds are recorded (and restock when the product says
so), whether events arrive duplicated, reversed, or not at all (the sweep)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from billing.models import StripeEvent
from storefront.models import Order, Product, Reservation
from storefront.services import on_checkout_session_event, reservations_sweep

from .conftest import connect_account, create_product, pay, stripe_get, stripe_post, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_shop(alice, standin):
    alice.account = connect_account(alice, standin)
    alice.mug = create_product(alice, name="mug", price=1200, inventory=5, restockOnRefund=True)
    alice.tee = create_product(alice, name="tee", price=2500, inventory=3)
    return alice


def cart(shop, *lines: tuple[dict, int]) -> dict:
    response = shop.api().post("/api/cart/checkout", {"items": [{"priceId": p["priceId"], "quantity": q}
                                                                for p, q in lines]}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def counters(name: str) -> tuple[int | None, int, int]:
    product = Product.objects.get(name=name)
    return product.inventory, product.reserved, product.sold


def payment_of(shop, session_id: str) -> tuple[str, str]:
    session = stripe_get(shop.standin, shop.account, f"/v1/checkout/sessions/{session_id}")
    charge = stripe_get(shop.standin, shop.account, f"/v1/payment_intents/{session['payment_intent']}")["latest_charge"]
    return session["payment_intent"], charge


@pytest.fixture(autouse=True)
def _standin_on_shop(request, standin):
    if "live_shop" in request.fixturenames:
        request.getfixturevalue("live_shop").standin = standin


def test_a_paid_cart_becomes_one_order_and_its_units_are_sold(live_shop, standin):
    body = cart(live_shop, (live_shop.mug, 2), (live_shop.tee, 1))
    assert counters("mug") == (5, 2, 0)
    assert pay(body["url"]).status_code == 303
    order = wait_until(lambda: Order.objects.filter(stripe_session_id=body["sessionId"]).first())
    assert (order.status, order.email, order.amount_total, order.currency) == ("paid", "payer@example.com", 4900, "usd")
    assert order.payment_intent_id.startswith("pi_") and not order.stock_shortfall
    assert [(line.product.name, line.quantity, line.unit_amount) for line in order.lines.all()] == [
        ("mug", 2, 1200), ("tee", 1, 2500)]
    assert counters("mug") == (3, 0, 2) and counters("tee") == (2, 0, 1)
    assert Reservation.objects.get().status == "completed"
    assert standin.wait_for_webhooks(10)
    event = StripeEvent.objects.get(type="checkout.session.completed")
    assert (event.status, event.note) == ("processed", f"order {order.public_id} created")


def test_an_expired_session_gives_its_stock_back(live_shop, standin):
    body = cart(live_shop, (live_shop.mug, 5))
    assert live_shop.api(live_shop.pk).get("/api/products").json()["products"][0]["soldOut"] is True
    stripe_post(standin, live_shop.account, f"/v1/checkout/sessions/{body['sessionId']}/expire")
    wait_until(lambda: Reservation.objects.get().status == "released")
    assert counters("mug") == (5, 0, 0)
    assert Reservation.objects.get().release_reason == "expired" and not Order.objects.exists()
    assert live_shop.api(live_shop.pk).get("/api/products").json()["products"][0]["soldOut"] is False


def test_the_stand_ins_clock_expiring_sessions_releases_them_too(live_shop, standin):
    cart(live_shop, (live_shop.tee, 3))
    standin.advance_clock(32 * 60)
    wait_until(lambda: Reservation.objects.get().status == "released")
    assert counters("tee") == (3, 0, 0)


def test_duplicated_events_complete_the_order_once(live_shop, standin):
    body = cart(live_shop, (live_shop.mug, 2))
    standin.hold_webhooks(True)
    pay(body["url"])
    deliveries = standin.flush_webhooks(duplicate=True)
    assert sum(d["type"] == "checkout.session.completed" for d in deliveries) == 2
    assert Order.objects.count() == 1 and counters("mug") == (3, 0, 2)
    # The same event handled again (a replay) changes nothing either.
    event = StripeEvent.objects.get(type="checkout.session.completed")
    connection = live_shop.project.stripe_connections.get()
    note = on_checkout_session_event(payload=event.payload, connection=connection)
    assert "already completed" in note
    assert Order.objects.count() == 1 and counters("mug") == (3, 0, 2)


def test_a_refund_arriving_before_the_payment_still_ends_refunded_and_restocked_once(live_shop, standin):
    body = cart(live_shop, (live_shop.mug, 2))
    standin.hold_webhooks(True)
    pay(body["url"])
    payment_intent, _ = payment_of(live_shop, body["sessionId"])
    stripe_post(standin, live_shop.account, "/v1/refunds", {"payment_intent": payment_intent})
    deliveries = standin.flush_webhooks(order="reverse", duplicate=True)
    assert [d["type"] for d in deliveries][:2] == ["charge.refunded", "charge.refunded"]
    order = Order.objects.get()
    assert (order.status, order.amount_refunded, order.restocked) == ("refunded", 2400, True)
    assert counters("mug") == (5, 0, 0)  # sold and put back, exactly once
    assert StripeEvent.objects.filter(status="failed").count() == 0


def test_a_partial_refund_does_not_restock_and_a_product_may_never_restock(live_shop, standin):
    body = cart(live_shop, (live_shop.mug, 1), (live_shop.tee, 2))
    pay(body["url"])
    order = wait_until(lambda: Order.objects.first())
    _, charge = payment_of(live_shop, body["sessionId"])
    stripe_post(standin, live_shop.account, "/v1/refunds", {"charge": charge, "amount": 500})
    wait_until(lambda: Order.objects.get(pk=order.pk).status == "partially_refunded")
    assert Order.objects.get(pk=order.pk).amount_refunded == 500
    assert counters("mug") == (4, 0, 1) and counters("tee") == (1, 0, 2)
    stripe_post(standin, live_shop.account, "/v1/refunds", {"charge": charge})
    wait_until(lambda: Order.objects.get(pk=order.pk).status == "refunded")
    assert counters("mug") == (5, 0, 0)  # restockOnRefund
    assert counters("tee") == (1, 0, 2)  # not chosen for this product: the units stay sold


def test_lost_events_are_caught_up_by_the_sweep(live_shop, standin):
    paid = cart(live_shop, (live_shop.mug, 2))
    abandoned = cart(live_shop, (live_shop.tee, 1))
    standin.hold_webhooks(True)
    pay(paid["url"])
    with standin.store.lock:
        standin.store.webhooks.queue.clear()  # every event is lost
    assert counters("mug") == (5, 2, 0) and counters("tee") == (3, 1, 0)

    assert reservations_sweep() == {"completed": 0, "released": 0, "errors": 0}  # nothing is due yet
    with time_machine.travel(timezone.now() + timedelta(minutes=40), tick=False):
        result = reservations_sweep()
    assert result == {"completed": 1, "released": 1, "errors": 0}
    assert counters("mug") == (3, 0, 2) and counters("tee") == (3, 0, 0)
    assert Order.objects.get().stripe_session_id == paid["sessionId"]
    assert stripe_get(standin, live_shop.account, f"/v1/checkout/sessions/{abandoned['sessionId']}")[
        "status"] == "expired"
    with time_machine.travel(timezone.now() + timedelta(minutes=45), tick=False):
        assert reservations_sweep() == {"completed": 0, "released": 0, "errors": 0}


def test_a_hold_that_never_got_its_session_is_released_by_the_sweep(live_shop):
    cart(live_shop, (live_shop.mug, 1))
    Reservation.objects.update(status="pending", stripe_session_id=None)  # as if the process died mid-way
    with time_machine.travel(timezone.now() + timedelta(minutes=95), tick=False):
        assert reservations_sweep()["released"] == 1
    assert counters("mug") == (5, 0, 0)


def test_a_payment_after_the_hold_was_released_takes_the_stock_if_it_is_still_there(live_shop, standin):
    first = cart(live_shop, (live_shop.tee, 2))
    Reservation.objects.filter(stripe_session_id=first["sessionId"]).update(status="released")
    Product.objects.filter(name="tee").update(reserved=0)
    cart(live_shop, (live_shop.tee, 1))  # meanwhile someone else holds one: 2 are left
    pay(first["url"])
    order = wait_until(lambda: Order.objects.first())
    assert not order.stock_shortfall and counters("tee") == (1, 1, 2)

    late = cart(live_shop, (live_shop.mug, 5))
    Reservation.objects.filter(stripe_session_id=late["sessionId"]).update(status="released")
    Product.objects.filter(name="mug").update(reserved=0)
    cart(live_shop, (live_shop.mug, 5))  # all five held by another buyer now
    pay(late["url"])
    wait_until(lambda: Order.objects.count() == 2)
    shortfall = Order.objects.get(stripe_session_id=late["sessionId"])
    assert shortfall.stock_shortfall and counters("mug") == (5, 5, 0)  # never oversold


def test_checkouts_dream_api_did_not_start_are_left_alone(live_shop, standin):
    price = live_shop.mug["priceId"]
    session = stripe_post(standin, live_shop.account, "/v1/checkout/sessions", {
        "mode": "payment", "line_items[0][price]": price, "line_items[0][quantity]": "1",
        "success_url": "https://elsewhere.example/"})
    pay(session["url"])
    assert standin.wait_for_webhooks(10)
    event = wait_until(lambda: StripeEvent.objects.filter(type="checkout.session.completed",
                                                          status="processed").first())
    assert event.note == "not a dream-api cart checkout"
    assert not Order.objects.exists() and counters("mug") == (5, 0, 0)


def test_an_asynchronous_payment_waits_and_its_failure_releases_the_hold(live_shop, standin):
    body = cart(live_shop, (live_shop.mug, 2))
    standin.hold_webhooks(True)
    with standin.store.lock:  # Stripe's state for a bank debit that has not settled yet
        session = standin.store.records[body["sessionId"]].obj
        session.update(status="complete", payment_status="unpaid")
    connection = live_shop.project.stripe_connections.get()
    payload = {"type": "checkout.session.completed", "data": {"object": {"id": body["sessionId"]}}}
    assert "waits for an asynchronous payment" in on_checkout_session_event(payload=payload, connection=connection)
    assert counters("mug") == (5, 2, 0)
    failed = {"type": "checkout.session.async_payment_failed", "data": {"object": {"id": body["sessionId"]}}}
    assert "released" in on_checkout_session_event(payload=failed, connection=connection)
    assert counters("mug") == (5, 0, 0) and Reservation.objects.get().release_reason == "payment_failed"
