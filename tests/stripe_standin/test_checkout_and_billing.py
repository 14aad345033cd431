"""Hosted Checkout, the customer portal, the clock and dunning, with webhooks checked."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
import stripe

from stripe_standin import StandinServer

from .conftest import CONNECT_SECRET, PLATFORM_SECRET, WebhookReceiver

SUBSCRIPTION_EVENTS = [
    "customer.created",
    "customer.subscription.created",
    "invoice.created",
    "invoice.finalized",
    "payment_intent.succeeded",
    "invoice.paid",
    "invoice.payment_succeeded",
    "customer.subscription.updated",
    "checkout.session.completed",
]
RENEWAL_EVENTS = ["customer.subscription.updated", "invoice.created", "invoice.finalized",
                  "payment_intent.succeeded", "invoice.paid", "invoice.payment_succeeded"]
DAY = 86400


def _monthly_price(client: stripe.StripeClient, options: Any = None, name: str = "Pro", amount: int = 1200,
                   interval: str = "month") -> stripe.Price:
    return client.v1.prices.create(
        params={"product_data": {"name": name}, "unit_amount": amount, "currency": "usd",
                "recurring": {"interval": interval}},  # type: ignore[typeddict-item]
        options=options or {})


def _pay(session: stripe.checkout.Session, **form: str) -> requests.Response:
    """Submit the hosted Checkout form the way a browser does (or re-submit it, once it is gone)."""
    page = requests.get(session.url)
    found = re.search(r'<form method="post" action="([^"]+)"', page.text)
    base, _, session_id = session.url.partition("/checkout/")
    action = found.group(1) if found else f"/checkout/{session_id}/pay"
    return requests.post(base + action, data=form, allow_redirects=False)


def subscribe(client: stripe.StripeClient, account: str | None = None, price: stripe.Price | None = None,
              email: str = "sub@example.com") -> stripe.Subscription:
    options = {"stripe_account": account} if account else {}
    price = price or _monthly_price(client, options)
    session = client.v1.checkout.sessions.create(params={
        "mode": "subscription", "customer_email": email, "success_url": "https://shop.example/ok",
        "line_items": [{"price": price.id, "quantity": 1}]}, options=options)  # type: ignore[arg-type]
    assert _pay(session).status_code == 303
    sub_id = client.v1.checkout.sessions.retrieve(session.id, options=options).subscription  # type: ignore[arg-type]
    return client.v1.subscriptions.retrieve(sub_id, options=options)  # type: ignore[arg-type]


def _verified(receiver: WebhookReceiver, path: str, secret: str) -> list[stripe.Event]:
    """Every webhook received on ``path``, signature-checked by stripe-python."""
    return [
        stripe.Webhook.construct_event(r["body"].decode(), r["headers"]["Stripe-Signature"], secret)
        for r in receiver.requests if r["path"] == path
    ]


def test_subscription_checkout_end_to_end(client: stripe.StripeClient, standin: StandinServer,
                                          receiver: WebhookReceiver, connected_account: str) -> None:
    options = {"stripe_account": connected_account}
    price = _monthly_price(client, options)
    standin.wait_for_webhooks(5)
    receiver.clear()
    session = client.v1.checkout.sessions.create(params={
        "mode": "subscription", "customer_email": "buyer@example.com", "client_reference_id": "user-42",
        "line_items": [{"price": price.id, "quantity": 1}], "metadata": {"order": "o-1"},
        "subscription_data": {"metadata": {"user_id": "42"}}, "allow_promotion_codes": True,
        "success_url": "https://shop.example/done?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/cancel",
    }, options=options)  # type: ignore[arg-type]

    page = requests.get(session.url)
    assert page.status_code == 200
    assert "Pro" in page.text and "$12.00" in page.text and "every month" in page.text
    assert 'href="https://shop.example/cancel"' in page.text and "Shop A" in page.text
    assert 'name="email"' not in page.text  # customer_email was given

    paid = _pay(session)
    assert paid.status_code == 303
    assert paid.headers["Location"] == f"https://shop.example/done?session={session.id}"

    done = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["subscription.latest_invoice", "customer"]}, options=options)
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.customer.email == "buyer@example.com" and done.customer_details.email == "buyer@example.com"
    sub = done.subscription
    assert sub.status == "active" and sub.metadata.to_dict() == {"user_id": "42"}
    assert sub["items"].data[0].price.id == price.id and sub["items"].data[0].quantity == 1
    item = sub["items"].data[0]
    assert 28 * DAY <= item.current_period_end - item.current_period_start <= 31 * DAY
    invoice = sub.latest_invoice
    assert (invoice.status, invoice.amount_paid, invoice.billing_reason) == ("paid", 1200, "subscription_create")
    assert invoice.parent.subscription_details.subscription == sub.id
    assert invoice.lines.data[0].pricing.price_details.price == price.id
    assert requests.get(invoice.hosted_invoice_url).status_code == 200
    deep = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["items.data.price.product", "customer"]},
                                            options=options)
    assert deep["items"].data[0].price.product.name == "Pro" and deep.customer.id == done.customer.id
    payments = client.v1.invoices.retrieve(invoice.id, params={"expand": ["payments"]}, options=options).payments
    pi = client.v1.payment_intents.retrieve(payments.data[0].payment.payment_intent, options=options)
    assert (pi.status, pi.amount, pi.customer) == ("succeeded", 1200, done.customer.id)
    assert [i.id for i in client.v1.invoices.list(params={"subscription": sub.id}, options=options).data] \
        == [invoice.id]
    assert client.v1.subscriptions.list(params={"customer": done.customer.id}, options=options).data[0].id == sub.id

    assert standin.wait_for_webhooks(5)
    events = _verified(receiver, "/connect", CONNECT_SECRET)
    assert [e.type for e in events] == SUBSCRIPTION_EVENTS
    assert {e.account for e in events} == {connected_account}
    assert receiver.events("/platform") == []
    completed = events[-1].data.object
    assert completed.client_reference_id == "user-42" and completed.metadata.to_dict() == {"order": "o-1"}
    assert completed.subscription == sub.id and completed.status == "complete"
    assert events[1].data.object.latest_invoice == invoice.id
    # Created incomplete, made active once the first invoice is paid (as Stripe does for Checkout).
    assert events[1].data.object.status == "incomplete"
    assert (events[7].data.object.status, events[7].data.previous_attributes.status) == ("active", "incomplete")
    assert [e.data.object.status for e in events[2:7] if e.data.object.object == "invoice"] == [
        "draft", "open", "paid", "paid"]
    # events are retrievable from the account they belong to, identical to what was delivered
    fetched = client.v1.events.retrieve(events[0].id, options=options)
    assert fetched.data.object.id == events[0].data.object.id
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.events.retrieve(events[0].id)

    again = _pay(session)
    assert again.status_code == 400 and "complete" in again.text


def test_payment_checkout_with_payment_intent_metadata(client: stripe.StripeClient, standin: StandinServer,
                                                       receiver: WebhookReceiver) -> None:
    price = client.v1.prices.create(params={"product_data": {"name": "Credits"}, "unit_amount": 500,
                                            "currency": "usd"})
    session = client.v1.checkout.sessions.create(params={
        "mode": "payment", "line_items": [{"price": price.id, "quantity": 3}],
        "payment_intent_data": {"metadata": {"purchase": "credits-3"}, "description": "3 credits"},
        "success_url": "https://shop.example/ok"})
    assert session.amount_total == 1500
    page = requests.get(session.url)
    assert '<label for="email">Email</label>' in page.text and "$15.00" in page.text

    refused = _pay(session, email="not-an-email")
    assert refused.status_code == 400 and 'role="alert"' in refused.text
    assert _pay(session, email="payer@example.com").headers["Location"] == "https://shop.example/ok"

    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert done.customer is None and done.customer_details.email == "payer@example.com"
    pi = done.payment_intent
    assert (pi.status, pi.amount, pi.currency, pi.description) == ("succeeded", 1500, "usd", "3 credits")
    assert pi.metadata.to_dict() == {"purchase": "credits-3"}
    assert done.subscription is None

    assert standin.wait_for_webhooks(5)
    events = _verified(receiver, "/platform", PLATFORM_SECRET)
    assert [e.type for e in events][-2:] == ["payment_intent.succeeded", "checkout.session.completed"]
    assert "customer.created" not in [e.type for e in events]
    assert all("account" not in e for e in events)
    assert events[-2].data.object.metadata.to_dict() == {"purchase": "credits-3"}


def test_unpaid_session_expires_with_the_clock(client: stripe.StripeClient, standin: StandinServer,
                                               receiver: WebhookReceiver) -> None:
    price = _monthly_price(client)
    session = client.v1.checkout.sessions.create(params={
        "mode": "subscription", "line_items": [{"price": price.id, "quantity": 1}],
        "success_url": "https://shop.example/ok", "expires_at": standin.store.now() + 3600})
    standin.advance_clock(3601)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    assert _pay(session, email="late@example.com").status_code == 400
    assert standin.wait_for_webhooks(5)
    assert receiver.types("/platform")[-1] == "checkout.session.expired"


def _portal(client: stripe.StripeClient, customer: str, *, cancel_mode: str = "at_period_end",
            prices: list[stripe.Price] = ()) -> str:
    features: dict[str, Any] = {"subscription_cancel": {"enabled": True, "mode": cancel_mode},
                                "invoice_history": {"enabled": True}}
    if prices:
        features["subscription_update"] = {
            "enabled": True, "default_allowed_updates": ["price"],
            "products": [{"product": p.product, "prices": [p.id]} for p in prices]}
    config = client.v1.billing_portal.configurations.create(params={"features": features})  # type: ignore[arg-type]
    portal = client.v1.billing_portal.sessions.create(params={"customer": customer, "configuration": config.id,
                                                              "return_url": "https://shop.example/account"})
    assert portal.object == "billing_portal.session" and portal.url.endswith(f"/portal/{portal.id}")
    return portal.url


def _portal_post(portal_url: str, sub_id: str, action: str, **form: str) -> None:
    response = requests.post(f"{portal_url}/subscriptions/{sub_id}/{action}", data=form, allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"].endswith(portal_url.split("/", 3)[3])


def test_portal_cancel_at_period_end_then_clock_ends_it(client: stripe.StripeClient, standin: StandinServer,
                                                        receiver: WebhookReceiver) -> None:
    sub = subscribe(client)
    portal_url = _portal(client, sub.customer)
    page = requests.get(portal_url)
    assert "Cancel at period end" in page.text and 'href="https://shop.example/account"' in page.text
    standin.wait_for_webhooks(5)
    receiver.clear()

    _portal_post(portal_url, sub.id, "cancel_at_period_end")
    pending = client.v1.subscriptions.retrieve(sub.id)
    assert pending.cancel_at_period_end is True and pending.status == "active"
    assert pending.cancel_at == pending["items"].data[0].current_period_end
    assert "Don&#x27;t cancel" in requests.get(portal_url).text or "Don't cancel" in requests.get(portal_url).text
    _portal_post(portal_url, sub.id, "renew")
    assert client.v1.subscriptions.retrieve(sub.id).cancel_at_period_end is False
    _portal_post(portal_url, sub.id, "cancel_at_period_end")

    standin.advance_clock(10 * DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"  # not due yet
    standin.advance_clock(25 * DAY)
    ended = client.v1.subscriptions.retrieve(sub.id)
    assert ended.status == "canceled" and ended.ended_at == pending["items"].data[0].current_period_end
    assert client.v1.subscriptions.list(params={"customer": sub.customer}).data == []
    assert [s.id for s in client.v1.subscriptions.list(params={"status": "canceled"}).data] == [sub.id]
    assert len(client.v1.invoices.list(params={"subscription": sub.id}).data) == 1  # no renewal

    assert standin.wait_for_webhooks(5)
    events = _verified(receiver, "/platform", PLATFORM_SECRET)
    assert [e.type for e in events] == ["customer.subscription.updated"] * 3 + ["customer.subscription.deleted"]
    previous = [e.data.previous_attributes for e in events[:3]]
    assert [p.cancel_at_period_end for p in previous] == [False, True, False]
    assert events[0].data.object.cancel_at_period_end is True


def test_portal_switch_plan_and_cancel_now(client: stripe.StripeClient, standin: StandinServer,
                                           receiver: WebhookReceiver) -> None:
    pro = _monthly_price(client)
    team = _monthly_price(client, name="Team", amount=4900)
    yearly = _monthly_price(client, name="Pro yearly", amount=12000, interval="year")
    unlisted = _monthly_price(client, name="Secret", amount=100)
    sub = subscribe(client, price=pro)
    portal_url = _portal(client, sub.customer, cancel_mode="immediately", prices=[pro, team, yearly])
    page = requests.get(portal_url)
    assert f'value="{team.id}"' in page.text and f'value="{pro.id}"' not in page.text
    assert f'value="{unlisted.id}"' not in page.text  # only what the configuration lists
    assert "Cancel at period end" not in page.text  # the configuration cancels immediately
    assert re.search(r'<label for="price-sub_\w+">New plan</label>', page.text)
    standin.wait_for_webhooks(5)
    receiver.clear()

    _portal_post(portal_url, sub.id, "switch", price=team.id)
    switched = client.v1.subscriptions.retrieve(sub.id)
    assert switched["items"].data[0].price.id == team.id and switched["items"].data[0].id == sub["items"].data[0].id
    assert switched["items"].data[0].current_period_end == sub["items"].data[0].current_period_end  # same interval: period kept

    _portal_post(portal_url, sub.id, "switch", price=yearly.id)
    to_yearly = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert to_yearly["items"].data[0].price.id == yearly.id
    assert to_yearly.latest_invoice.billing_reason == "subscription_update"
    assert to_yearly.latest_invoice.amount_paid == 12000

    _portal_post(portal_url, sub.id, "cancel_now")
    assert client.v1.subscriptions.retrieve(sub.id).status == "canceled"

    assert standin.wait_for_webhooks(5)
    events = _verified(receiver, "/platform", PLATFORM_SECRET)
    assert [e.type for e in events] == ["customer.subscription.updated"] + RENEWAL_EVENTS + [
        "customer.subscription.deleted"]
    first = events[0].data
    assert first.object["items"].data[0].price.id == team.id
    assert first.previous_attributes["items"].data[0].price.id == pro.id


def test_clock_renews_active_subscriptions(client: stripe.StripeClient, standin: StandinServer,
                                           receiver: WebhookReceiver) -> None:
    sub = subscribe(client)
    standin.wait_for_webhooks(5)
    receiver.clear()
    response = requests.post(standin.url + "/_standin/clock/advance", json={"seconds": 32 * DAY})
    assert response.status_code == 200 and response.json()["offset"] == 32 * DAY
    assert requests.get(standin.url + "/_standin/clock").json()["now"] >= sub["items"].data[0].current_period_end

    renewed = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert renewed.status == "active"
    assert renewed["items"].data[0].current_period_start == sub["items"].data[0].current_period_end
    assert renewed.latest_invoice.id != sub.latest_invoice
    assert (renewed.latest_invoice.billing_reason, renewed.latest_invoice.status) == ("subscription_cycle", "paid")
    assert len(client.v1.invoices.list(params={"customer": sub.customer}).data) == 2

    assert standin.wait_for_webhooks(5)
    events = _verified(receiver, "/platform", PLATFORM_SECRET)
    assert [e.type for e in events] == RENEWAL_EVENTS
    assert events[0].data.previous_attributes["items"].data[0].current_period_end == \
        sub["items"].data[0].current_period_end
    assert all(e.created >= sub["items"].data[0].current_period_end for e in events)  # stamped with the advanced clock


def test_failed_payment_goes_past_due_and_recovers(client: stripe.StripeClient, standin: StandinServer,
                                                   receiver: WebhookReceiver) -> None:
    sub = subscribe(client)
    standin.wait_for_webhooks(5)
    receiver.clear()
    result = requests.post(f"{standin.url}/_standin/subscriptions/{sub.id}/fail_payment").json()
    assert result["subscription"]["status"] == "past_due" and result["invoice"]["status"] == "open"
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    assert standin.wait_for_webhooks(5)
    types = receiver.types("/platform")
    assert types == ["invoice.created", "invoice.finalized", "payment_intent.payment_failed",
                     "invoice.payment_failed", "customer.subscription.updated"]
    updated = receiver.events("/platform")[-1]["data"]
    assert updated["previous_attributes"]["status"] == "active" and updated["object"]["status"] == "past_due"

    paid = client.v1.invoices.pay(result["invoice"]["id"])
    assert paid.status == "paid"
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_subscription_updates_through_the_api(client: stripe.StripeClient, standin: StandinServer,
                                              receiver: WebhookReceiver) -> None:
    pro = _monthly_price(client)
    team = _monthly_price(client, name="Team", amount=4900)
    sub = subscribe(client, price=pro)
    item_id = sub["items"].data[0].id
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscriptions.update(sub.id, params={"items": [{"id": "si_nope", "price": team.id}]})
    assert info.value.param == "items[0][id]"
    changed = client.v1.subscriptions.update(sub.id, params={
        "items": [{"id": item_id, "price": team.id}], "proration_behavior": "none",
        "cancel_at_period_end": True, "metadata": {"seats": "5"}})
    assert changed["items"].data[0].price.id == team.id and changed.cancel_at_period_end is True
    assert changed.metadata.to_dict() == {"seats": "5"}
    assert [s.id for s in client.v1.subscriptions.list(params={"price": team.id}).data] == [sub.id]
    assert client.v1.subscriptions.list(params={"price": pro.id}).data == []

    canceled = client.v1.subscriptions.cancel(sub.id)
    assert canceled.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": False})
    assert [s.id for s in client.v1.subscriptions.list(params={"status": "all"}).data] == [sub.id]
    assert standin.wait_for_webhooks(5)
    assert receiver.types("/platform")[-2:] == ["customer.subscription.updated", "customer.subscription.deleted"]
