"""Payment mode on a connected account, as the store uses it: one-off prices in quantities,
expiry (by the API and by the clock), payment intents and charges, refunds, and the events."""

from __future__ import annotations

import pytest
import requests
import stripe

from stripe_standin import StandinServer

from .conftest import CONNECT_SECRET, WebhookReceiver
from .test_checkout_and_billing import _pay, _verified


def _one_off(client: stripe.StripeClient, account: str, name: str, amount: int) -> stripe.Price:
    product = client.v1.products.create(params={"name": name}, options={"stripe_account": account})
    return client.v1.prices.create(params={"product": product.id, "unit_amount": amount, "currency": "usd"},
                                   options={"stripe_account": account})


def _cart(client: stripe.StripeClient, standin: StandinServer, account: str, **extra) -> stripe.checkout.Session:
    mug = _one_off(client, account, "Mug", 1200)
    shirt = _one_off(client, account, "Shirt", 2500)
    params = {"mode": "payment", "line_items": [{"price": mug.id, "quantity": 3}, {"price": shirt.id, "quantity": 1}],
              "success_url": "https://shop.example/ok?s={CHECKOUT_SESSION_ID}", "cancel_url": "https://shop.example/c",
              "expires_at": standin.store.now() + 1900, "client_reference_id": "rsv_1",
              "metadata": {"dreamapi_reservation": "rsv_1"},
              "payment_intent_data": {"metadata": {"dreamapi_reservation": "rsv_1"}}, **extra}
    return client.v1.checkout.sessions.create(params=params, options={"stripe_account": account})


def test_a_paid_cart_has_its_lines_a_payment_intent_and_a_charge(
        client: stripe.StripeClient, standin: StandinServer, receiver: WebhookReceiver, connected_account: str):
    options = {"stripe_account": connected_account}
    session = _cart(client, standin, connected_account, customer_email="buyer@example.com")
    assert (session.status, session.payment_status, session.amount_total) == ("open", "unpaid", 3 * 1200 + 2500)
    assert session.payment_intent is None  # created when the buyer pays, as in current API versions
    lines = client.v1.checkout.sessions.line_items.list(session.id, options=options)
    assert [(li.description, li.quantity, li.amount_total) for li in lines.data] == [("Mug", 3, 3600),
                                                                                   ("Shirt", 1, 2500)]

    paid = _pay(session)
    assert paid.status_code == 303 and paid.headers["Location"] == f"https://shop.example/ok?s={session.id}"
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent.latest_charge"]},
                                                options=options)
    assert (done.status, done.payment_status, done.customer) == ("complete", "paid", None)
    pi = done.payment_intent
    assert (pi.status, pi.amount, pi.metadata.to_dict()) == ("succeeded", 6100, {"dreamapi_reservation": "rsv_1"})
    charge = pi.latest_charge
    assert (charge.amount, charge.amount_refunded, charge.refunded, charge.payment_intent) == (6100, 0, False, pi.id)
    assert "refunds" not in charge  # expandable only, since API 2022-11-15
    listed = client.v1.checkout.sessions.list(params={"payment_intent": pi.id}, options=options)
    assert [s.id for s in listed.data] == [session.id]

    assert standin.wait_for_webhooks(5)
    events = _verified(receiver, "/connect", CONNECT_SECRET)
    assert [e.type for e in events if e.type.startswith(("payment_intent", "checkout"))] == [
        "payment_intent.succeeded", "checkout.session.completed"]
    assert all(e.account == connected_account for e in events)


def test_expire_by_the_api_and_by_the_clock_sends_expired_events(
        client: stripe.StripeClient, standin: StandinServer, receiver: WebhookReceiver, connected_account: str):
    options = {"stripe_account": connected_account}
    first = _cart(client, standin, connected_account)
    second = _cart(client, standin, connected_account)
    assert client.v1.checkout.sessions.expire(first.id, options=options).status == "expired"
    with pytest.raises(stripe.InvalidRequestError, match="status"):
        client.v1.checkout.sessions.expire(first.id, options=options)
    assert _pay(first).status_code == 400

    standin.advance_clock(1800)  # not yet past expires_at (now + 1900)
    assert client.v1.checkout.sessions.retrieve(second.id, options=options).status == "open"
    standin.advance_clock(200)
    assert client.v1.checkout.sessions.retrieve(second.id, options=options).status == "expired"
    assert standin.wait_for_webhooks(5)
    expired = [e for e in _verified(receiver, "/connect", CONNECT_SECRET) if e.type == "checkout.session.expired"]
    assert [e.data.object.id for e in expired] == [first.id, second.id]
    assert expired[0].data.object.status == "expired"


def test_expires_at_must_be_30_minutes_to_24_hours_away(client: stripe.StripeClient, standin: StandinServer,
                                                       connected_account: str):
    for seconds in (1700, 86400 + 60):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            _cart(client, standin, connected_account, expires_at=standin.store.now() + seconds)
        assert exc.value.param == "expires_at"


def test_refunds_partial_then_full_with_charge_refunded_events(
        client: stripe.StripeClient, standin: StandinServer, receiver: WebhookReceiver, connected_account: str):
    options = {"stripe_account": connected_account}
    session = _cart(client, standin, connected_account, customer_email="buyer@example.com")
    _pay(session)
    pi_id = client.v1.checkout.sessions.retrieve(session.id, options=options).payment_intent
    charge_id = client.v1.payment_intents.retrieve(pi_id, options=options).latest_charge
    assert standin.wait_for_webhooks(5)
    receiver.clear()

    partial = client.v1.refunds.create(params={"charge": charge_id, "amount": 1000, "reason": "requested_by_customer",
                                               "metadata": {"why": "broken mug"}}, options=options)
    assert (partial.object, partial.status, partial.amount, partial.charge, partial.payment_intent) == (
        "refund", "succeeded", 1000, charge_id, pi_id)
    charge = client.v1.charges.retrieve(charge_id, options=options)
    assert (charge.amount_refunded, charge.refunded) == (1000, False)

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 5200}, options=options)
    assert (too_much.value.code, too_much.value.param) == ("amount_too_large", "amount")

    rest = client.v1.refunds.create(params={"payment_intent": pi_id}, options=options)  # what is left
    assert rest.amount == 5100
    charge = client.v1.charges.retrieve(charge_id, params={"expand": ["refunds"]}, options=options)
    assert (charge.amount_refunded, charge.refunded) == (6100, True)
    assert sorted(r.amount for r in charge.refunds.data) == [1000, 5100]
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"charge": charge_id}, options=options)
    assert again.value.code == "charge_already_refunded"
    assert [r.id for r in client.v1.refunds.list(params={"payment_intent": pi_id}, options=options).data] == [
        rest.id, partial.id]

    assert standin.wait_for_webhooks(5)
    events = _verified(receiver, "/connect", CONNECT_SECRET)
    assert [e.type for e in events] == ["refund.created", "charge.refunded", "refund.created", "charge.refunded"]
    first, last = events[1].data, events[3].data
    assert (first.object.amount_refunded, first.object.refunded, first.previous_attributes.amount_refunded) == (
        1000, False, 0)
    assert (last.object.amount_refunded, last.object.refunded) == (6100, True)


def test_refunds_are_refused_across_accounts_and_without_a_target(
        client: stripe.StripeClient, standin: StandinServer, connected_account: str):
    session = _cart(client, standin, connected_account)
    _pay(session, email="buyer@example.com")
    pi_id = client.v1.checkout.sessions.retrieve(session.id, options={"stripe_account": connected_account}).payment_intent
    with pytest.raises(stripe.InvalidRequestError) as elsewhere:
        client.v1.refunds.create(params={"payment_intent": pi_id})  # the platform's own account
    assert elsewhere.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as nothing:
        client.v1.refunds.create(params={"amount": 100}, options={"stripe_account": connected_account})
    assert nothing.value.code == "parameter_missing"
    response = requests.post(f"{standin.url}/v1/refunds", data={"charge": "ch_x", "amount": "0"},
                             headers={"Authorization": "Bearer sk_test_x", "Stripe-Account": connected_account})
    assert response.status_code == 400
