"""Trials, prorations, subscription schedules and the portal's scheduled downgrades, as the pinned
API version (classic billing mode) has them, driven by the movable clock."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from stripe_standin import StandinServer

from .conftest import WebhookReceiver
from .test_checkout_and_billing import DAY, _monthly_price, _pay

OPTIONS: Any = {}


def _trial(client: stripe.StripeClient, price: stripe.Price, *, days: int = 14, card: bool = True,
           missing: str = "cancel", email: str = "trial@example.com") -> stripe.Subscription:
    params: dict[str, Any] = {
        "mode": "subscription", "customer_email": email, "success_url": "https://shop.example/ok",
        "line_items": [{"price": price.id, "quantity": 1}],
        "subscription_data": {"trial_period_days": days,
                              "trial_settings": {"end_behavior": {"missing_payment_method": missing}}},
    }
    if not card:
        params["payment_method_collection"] = "if_required"
    session = client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    assert session.amount_total == 0
    page = requests.get(session.url).text
    assert "Start trial" in page and ("No card is needed today" in page) is (not card)
    assert _pay(session).status_code == 303
    sub_id = client.v1.checkout.sessions.retrieve(session.id).subscription
    return client.v1.subscriptions.retrieve(sub_id)  # type: ignore[arg-type]


def _types(receiver: WebhookReceiver) -> list[str]:
    return receiver.types("/platform")


def test_a_trial_with_a_card_starts_trialing_warns_three_days_ahead_and_then_charges(
        client: stripe.StripeClient, standin: StandinServer, receiver: WebhookReceiver) -> None:
    price = _monthly_price(client)
    standin.wait_for_webhooks(5)
    receiver.clear()
    sub = _trial(client, price, days=14)
    assert sub.status == "trialing" and sub.trial_end - sub.trial_start == 14 * DAY
    assert sub["items"].data[0].current_period_end == sub.trial_end
    first = client.v1.invoices.retrieve(sub.latest_invoice)  # type: ignore[arg-type]
    assert (first.status, first.total, first.billing_reason) == ("paid", 0, "subscription_create")
    assert first.lines.data[0].description.startswith("Trial period for")
    standin.wait_for_webhooks(5)
    assert "payment_intent.succeeded" not in _types(receiver)  # nothing is charged for a $0 invoice
    receiver.clear()
    standin.advance_clock(10 * DAY)  # 4 days left: not yet
    standin.advance_clock(DAY + 60)
    standin.wait_for_webhooks(5)
    assert _types(receiver) == ["customer.subscription.trial_will_end"]
    standin.advance_clock(DAY)  # sent once
    standin.advance_clock(2 * DAY)
    standin.wait_for_webhooks(5)
    assert _types(receiver) == ["customer.subscription.trial_will_end", "customer.subscription.updated",
                                "invoice.created", "invoice.finalized", "payment_intent.succeeded", "invoice.paid",
                                "invoice.payment_succeeded"]
    active = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert active.status == "active" and active["items"].data[0].current_period_start == sub.trial_end
    assert (active.latest_invoice.total, active.latest_invoice.status) == (1200, "paid")


def test_a_trial_without_a_card_ends_canceled_when_the_end_behavior_is_cancel(
        client: stripe.StripeClient, standin: StandinServer, receiver: WebhookReceiver) -> None:
    sub = _trial(client, _monthly_price(client), days=7, card=False)
    assert sub.status == "trialing" and sub.default_payment_method is None
    assert sub.trial_settings.end_behavior.missing_payment_method == "cancel"
    standin.wait_for_webhooks(5)
    receiver.clear()
    standin.advance_clock(8 * DAY)
    standin.wait_for_webhooks(5)
    assert _types(receiver) == ["customer.subscription.trial_will_end", "customer.subscription.deleted"]
    ended = client.v1.subscriptions.retrieve(sub.id)
    assert (ended.status, ended.ended_at) == ("canceled", sub.trial_end)
    assert client.v1.invoices.list(params={"subscription": sub.id}).data[0].total == 0  # no invoice at the end


@pytest.mark.parametrize("missing, status", [("pause", "paused"), ("create_invoice", "past_due")])
def test_a_trial_without_a_card_pauses_or_goes_past_due(client: stripe.StripeClient, standin: StandinServer,
                                                        missing: str, status: str) -> None:
    sub = _trial(client, _monthly_price(client), days=5, card=False, missing=missing)
    standin.advance_clock(6 * DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == status


def test_a_card_added_in_the_portal_pays_when_the_trial_ends(client: stripe.StripeClient,
                                                             standin: StandinServer) -> None:
    sub = _trial(client, _monthly_price(client), days=5, card=False)
    config = client.v1.billing_portal.configurations.create(params={"features": {
        "payment_method_update": {"enabled": True}, "invoice_history": {"enabled": True}}})
    portal = client.v1.billing_portal.sessions.create(params={"customer": sub.customer, "configuration": config.id})
    page = requests.get(portal.url).text
    assert "No payment method on file" in page and "Trial ends on" in page
    added = requests.post(f"{standin.url}/portal/{portal.id}/payment_method", allow_redirects=False)
    assert added.status_code == 303
    assert "Visa ending in 4242" in requests.get(portal.url).text
    customer = client.v1.customers.retrieve(sub.customer)  # type: ignore[arg-type]
    assert customer.invoice_settings.default_payment_method
    standin.advance_clock(6 * DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_checkout_refuses_trial_parameters_stripe_refuses(client: stripe.StripeClient,
                                                          standin: StandinServer) -> None:
    price = _monthly_price(client)
    base: dict[str, Any] = {"mode": "subscription", "line_items": [{"price": price.id, "quantity": 1}]}
    now = standin.store.now()
    for extra, param in [
        ({"subscription_data": {"trial_end": now + 3600}}, "subscription_data[trial_end]"),
        ({"subscription_data": {"trial_end": now + 5 * DAY, "trial_period_days": 5}}, "subscription_data[trial_end]"),
        ({"subscription_data": {"trial_period_days": 0}}, "subscription_data[trial_period_days]"),
        ({"subscription_data": {"trial_settings": {"end_behavior": {"missing_payment_method": "ignore"}}}},
         "subscription_data[trial_settings][end_behavior][missing_payment_method]"),
    ]:
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.checkout.sessions.create(params={**base, **extra})
        assert caught.value.param == param
    one_time = client.v1.prices.create(params={"product_data": {"name": "Once"}, "unit_amount": 500,
                                               "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(params={"mode": "payment", "payment_method_collection": "if_required",
                                                   "line_items": [{"price": one_time.id, "quantity": 1}]})
    assert caught.value.param == "payment_method_collection"


def _subscribed(client: stripe.StripeClient, price: stripe.Price) -> stripe.Subscription:
    session = client.v1.checkout.sessions.create(params={
        "mode": "subscription", "customer_email": "plan@example.com", "success_url": "https://shop.example/ok",
        "line_items": [{"price": price.id, "quantity": 1}]})
    _pay(session)
    return client.v1.subscriptions.retrieve(client.v1.checkout.sessions.retrieve(session.id).subscription)  # type: ignore[arg-type]


def test_an_upgrade_with_always_invoice_charges_the_prorated_difference_now(client: stripe.StripeClient,
                                                                            standin: StandinServer) -> None:
    basic, pro = _monthly_price(client, name="Basic", amount=1000), _monthly_price(client, name="Pro", amount=3000)
    sub = _subscribed(client, basic)
    start, end = sub["items"].data[0].current_period_start, sub["items"].data[0].current_period_end
    standin.advance_clock((end - start) // 2)
    updated = client.v1.subscriptions.update(sub.id, params={
        "items": [{"id": sub["items"].data[0].id, "price": pro.id}], "proration_behavior": "always_invoice"})
    assert updated["items"].data[0].price.id == pro.id
    assert updated["items"].data[0].current_period_end == end  # same interval: the period stays
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)  # type: ignore[arg-type]
    assert (invoice.billing_reason, invoice.status) == ("subscription_update", "paid")
    amounts = sorted(line.amount for line in invoice.lines.data)
    assert len(amounts) == 2 and amounts[0] == pytest.approx(-500, abs=20) and amounts[1] == pytest.approx(1500, abs=60)
    assert all(line.parent.invoice_item_details.proration for line in invoice.lines.data)
    assert invoice.amount_due == sum(amounts)
    assert client.v1.invoice_items.list(params={"customer": sub.customer, "pending": True}).data == []


def test_create_prorations_wait_for_the_next_invoice_and_none_creates_none(client: stripe.StripeClient,
                                                                           standin: StandinServer) -> None:
    basic, pro = _monthly_price(client, name="Basic", amount=1000), _monthly_price(client, name="Pro", amount=3000)
    sub = _subscribed(client, basic)
    item = sub["items"].data[0].id
    standin.advance_clock(10 * DAY)
    client.v1.subscriptions.update(sub.id, params={"items": [{"id": item, "price": pro.id}]})  # default: create
    pending = client.v1.invoice_items.list(params={"customer": sub.customer, "pending": True}).data
    assert len(pending) == 2 and all(ii.proration for ii in pending)
    client.v1.subscriptions.update(sub.id, params={"items": [{"id": item, "price": basic.id}],
                                                   "proration_behavior": "none"})
    assert len(client.v1.invoice_items.list(params={"customer": sub.customer, "pending": True}).data) == 2
    standin.advance_clock(25 * DAY)  # renewal takes the pending prorations
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub.id).latest_invoice)  # type: ignore[arg-type]
    assert renewal.billing_reason == "subscription_cycle" and len(renewal.lines.data) == 3
    assert client.v1.invoice_items.list(params={"customer": sub.customer, "pending": True}).data == []


def test_a_schedule_downgrades_at_the_period_end_and_then_releases(client: stripe.StripeClient,
                                                                    standin: StandinServer,
                                                                    receiver: WebhookReceiver) -> None:
    basic, pro = _monthly_price(client, name="Basic", amount=1000), _monthly_price(client, name="Pro", amount=3000)
    sub = _subscribed(client, pro)
    end = sub["items"].data[0].current_period_end
    schedule = client.v1.subscription_schedules.create(params={"from_subscription": sub.id})
    assert (schedule.status, schedule.end_behavior, len(schedule.phases)) == ("active", "release", 1)
    assert schedule.phases[0].end_date == end and client.v1.subscriptions.retrieve(sub.id).schedule == schedule.id
    current = schedule.phases[0]
    schedule = client.v1.subscription_schedules.update(schedule.id, params={"phases": [
        {"items": [{"price": pro.id, "quantity": 1}], "start_date": current.start_date, "end_date": end},
        {"items": [{"price": basic.id, "quantity": 1}], "duration": {"interval": "month"},
         "proration_behavior": "none"},
    ]})
    assert [p.start_date for p in schedule.phases] == [current.start_date, end]
    assert client.v1.subscriptions.retrieve(sub.id)["items"].data[0].price.id == pro.id  # nothing changes yet
    with pytest.raises(stripe.InvalidRequestError, match="managed by the subscription schedule"):
        client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
    standin.wait_for_webhooks(5)
    receiver.clear()
    standin.advance_clock(end - standin.store.now() + 60)
    standin.wait_for_webhooks(5)
    after = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert after["items"].data[0].price.id == basic.id and after.status == "active"
    assert (after.latest_invoice.total, after.latest_invoice.billing_reason) == (1000, "subscription_cycle")
    types = _types(receiver)
    assert types.index("subscription_schedule.updated") < types.index("invoice.created")
    second_end = after["items"].data[0].current_period_end
    standin.advance_clock(second_end - standin.store.now() + 60)
    released = client.v1.subscription_schedules.retrieve(schedule.id)
    assert (released.status, released.released_subscription) == ("released", sub.id)
    assert client.v1.subscriptions.retrieve(sub.id).schedule is None


def test_releasing_a_schedule_keeps_the_plan_and_schedules_refuse_bad_phases(client: stripe.StripeClient,
                                                                            standin: StandinServer) -> None:
    basic, pro = _monthly_price(client, name="Basic", amount=1000), _monthly_price(client, name="Pro", amount=3000)
    sub = _subscribed(client, pro)
    schedule = client.v1.subscription_schedules.create(params={"from_subscription": sub.id})
    start = schedule.phases[0].start_date
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscription_schedules.update(schedule.id, params={"phases": [
            {"items": [{"price": pro.id}], "start_date": start + 1, "end_date": start + 40 * DAY}]})
    assert caught.value.param == "phases[0][start_date]"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscription_schedules.create(params={"from_subscription": sub.id})
    assert "already attached to a schedule" in str(caught.value)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscription_schedules.create(params={"from_subscription": sub.id,
                                                        "phases": [{"items": [{"price": basic.id}]}]})
    assert caught.value.param == "phases"
    released = client.v1.subscription_schedules.release(schedule.id)
    assert released.status == "released" and client.v1.subscriptions.retrieve(sub.id).schedule is None
    with pytest.raises(stripe.InvalidRequestError, match="released"):
        client.v1.subscription_schedules.release(schedule.id)
    standin.advance_clock(32 * DAY)
    assert client.v1.subscriptions.retrieve(sub.id)["items"].data[0].price.id == pro.id


def test_canceling_a_schedule_cancels_its_subscription(client: stripe.StripeClient, standin: StandinServer) -> None:
    sub = _subscribed(client, _monthly_price(client))
    schedule = client.v1.subscription_schedules.create(params={"from_subscription": sub.id})
    canceled = client.v1.subscription_schedules.cancel(schedule.id)
    assert canceled.status == "canceled" and client.v1.subscriptions.retrieve(sub.id).status == "canceled"


def test_the_portal_schedules_downgrades_at_the_period_end_and_upgrades_now(client: stripe.StripeClient,
                                                                           standin: StandinServer) -> None:
    basic, pro = _monthly_price(client, name="Basic", amount=1000), _monthly_price(client, name="Pro", amount=3000)
    sub = _subscribed(client, basic)
    config = client.v1.billing_portal.configurations.create(params={"features": {"subscription_update": {
        "enabled": True, "default_allowed_updates": ["price"], "proration_behavior": "always_invoice",
        "products": [{"product": p.product, "prices": [p.id]} for p in (basic, pro)],  # type: ignore[misc]
        "schedule_at_period_end": {"conditions": [{"type": "decreasing_item_amount"},
                                                  {"type": "shortening_interval"}]},
    }}})
    assert [c.type for c in config.features.subscription_update.schedule_at_period_end.conditions] == [
        "decreasing_item_amount", "shortening_interval"]
    portal = client.v1.billing_portal.sessions.create(params={"customer": sub.customer, "configuration": config.id})
    base = f"{standin.url}/portal/{portal.id}/subscriptions/{sub.id}"
    standin.advance_clock(15 * DAY)
    assert requests.post(f"{base}/switch", data={"price": pro.id}, allow_redirects=False).status_code == 303
    upgraded = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert upgraded["items"].data[0].price.id == pro.id and upgraded.schedule is None
    assert upgraded.latest_invoice.billing_reason == "subscription_update" and upgraded.latest_invoice.total > 0
    assert requests.post(f"{base}/switch", data={"price": basic.id}, allow_redirects=False).status_code == 303
    downgrading = client.v1.subscriptions.retrieve(sub.id)
    assert downgrading["items"].data[0].price.id == pro.id and downgrading.schedule
    assert "Keep current plan" in requests.get(portal.url).text
    assert requests.post(f"{base}/keep_plan", allow_redirects=False).status_code == 303
    assert client.v1.subscriptions.retrieve(sub.id).schedule is None
