"""Every object the stand-in emits has the pinned API version's shape (checked against stripe-python's
typed resources, generated from Stripe's OpenAPI spec for that version): no field Stripe removed or
never had, every non-nullable field present, values of the right types."""

from __future__ import annotations

import re
from typing import Any

import requests
import stripe

from stripe_standin import API_VERSION, StandinServer

from .conftest import WebhookReceiver, make_client
from .shapes import problems
from .test_checkout_and_billing import _monthly_price, _pay, subscribe

DAY = 86400


def test_the_checker_finds_removed_and_missing_fields() -> None:
    assert stripe.api_version == API_VERSION
    sub = {"id": "sub_1", "object": "subscription", "current_period_end": 1, "status": 5}
    found = problems(sub)
    assert any("current_period_end: not a field of Subscription" in p for p in found)
    assert any(".items: missing (required)" in p for p in found)
    assert any(".status: 5 is not one of" in p for p in found)
    invoice_with_paid = {"object": "invoice", "paid": True}
    assert any(".paid: not a field of Invoice" in p for p in problems(invoice_with_paid))


def _exercise(standin: StandinServer, client: stripe.StripeClient) -> None:
    """Go through every flow the stand-in implements, so that every kind of object exists."""
    account = client.v1.accounts.create(params={"type": "standard", "business_profile": {"name": "Shop"}}).id
    options: Any = {"stripe_account": account}
    pro = _monthly_price(client, options)
    team = _monthly_price(client, options, name="Team", amount=4900)
    sub = subscribe(client, account, pro)
    config = client.v1.billing_portal.configurations.create(params={"features": {
        "invoice_history": {"enabled": True}, "payment_method_update": {"enabled": True},
        "subscription_cancel": {"enabled": True, "mode": "at_period_end",
                                "cancellation_reason": {"enabled": True, "options": ["too_expensive"]}},
        "subscription_update": {"enabled": True, "default_allowed_updates": ["price"],
                                "proration_behavior": "none",
                                "products": [{"product": p.product, "prices": [p.id]} for p in (pro, team)]},
    }, "business_profile": {"headline": "Manage your plan"}}, options=options)
    client.v1.billing_portal.configurations.update(config.id, params={"name": "dream-api"}, options=options)
    client.v1.billing_portal.sessions.create(params={"customer": sub.customer, "configuration": config.id},
                                             options=options)
    client.v1.subscriptions.update(sub.id, params={"items": [{"id": sub["items"].data[0].id, "price": team.id}],
                                                   "cancel_at_period_end": True}, options=options)
    client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": False}, options=options)
    # prorations, a schedule that downgrades at the period end, a trial without a card, a card added
    client.v1.subscriptions.update(sub.id, params={"items": [{"id": sub["items"].data[0].id, "price": pro.id}],
                                                   "proration_behavior": "always_invoice"}, options=options)
    schedule = client.v1.subscription_schedules.create(params={"from_subscription": sub.id}, options=options)
    client.v1.subscription_schedules.update(schedule.id, params={"phases": [
        {"items": [{"price": pro.id}], "start_date": schedule.phases[0].start_date,
         "end_date": schedule.phases[0].end_date},
        {"items": [{"price": team.id}], "duration": {"interval": "month"}}]}, options=options)
    trial = client.v1.checkout.sessions.create(params={
        "mode": "subscription", "customer_email": "trial@example.com", "success_url": "https://x.example/ok",
        "line_items": [{"price": pro.id, "quantity": 1}], "payment_method_collection": "if_required",
        "subscription_data": {"trial_period_days": 7}}, options=options)
    _pay(trial)
    trial_sub = client.v1.checkout.sessions.retrieve(trial.id, options=options).subscription
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": client.v1.subscriptions.retrieve(trial_sub, options=options).customer,
                "configuration": config.id}, options=options)
    requests.post(f"{standin.url}/portal/{portal.id}/payment_method", allow_redirects=False)
    third = subscribe(client, account, team, email="scheduled@example.com")
    released = client.v1.subscription_schedules.create(params={"from_subscription": third.id}, options=options)
    client.v1.subscription_schedules.release(released.id, options=options)
    canceled = client.v1.subscription_schedules.create(params={"from_subscription": third.id}, options=options)
    client.v1.subscription_schedules.cancel(canceled.id, options=options)
    standin.advance_clock(32 * DAY)  # renewal, the schedule's next phase, the trial's notice and end
    standin.fail_payment(sub.id)
    standin.fail_payment(sub.id, authentication_required=True)
    second = subscribe(client, account, pro, email="pause@example.com")
    standin.pause_subscription(second.id)
    client.v1.subscriptions.resume(second.id, options=options)
    client.v1.subscriptions.cancel(second.id, options=options)
    standin.account_owner(account, onboarding_complete=False)
    # payment mode on the platform, an expired session, a deleted customer and product
    one_time = client.v1.prices.create(params={"product_data": {"name": "Credits"}, "unit_amount": 500,
                                               "currency": "usd"})
    paid = client.v1.checkout.sessions.create(params={"mode": "payment", "success_url": "https://x.example/ok",
                                                      "line_items": [{"price": one_time.id, "quantity": 2}]})
    _pay(paid, email="buyer@example.com")
    client.v1.checkout.sessions.create(params={"mode": "payment", "expires_at": standin.store.now() + 1800,
                                               "line_items": [{"price": one_time.id, "quantity": 1}]})
    standin.advance_clock(3600)
    customer = client.v1.customers.create(params={"email": "gone@example.com"})
    client.v1.customers.delete(customer.id)
    product = client.v1.products.create(params={"name": "Gone"})
    client.v1.products.delete(product.id)
    standin.account_owner(account, "/deauthorize")


def test_every_object_and_event_has_the_pinned_versions_shape(standin: StandinServer,
                                                                receiver: WebhookReceiver) -> None:
    client = make_client(standin)
    _exercise(standin, client)
    with standin.store.lock:
        objects = [rec.obj for rec in standin.store.records.values()]
        objects += [state.obj for state in standin.store.accounts.values()]
    kinds = {obj["object"] for obj in objects}
    assert {"account", "product", "price", "customer", "checkout.session", "subscription", "invoice",
            "payment_intent", "charge", "payment_method", "billing_portal.configuration",
            "billing_portal.session", "event", "invoiceitem", "subscription_schedule"} <= kinds, kinds
    event_types = {obj["type"] for obj in objects if obj["object"] == "event"}
    assert {"customer.subscription.paused", "customer.subscription.resumed", "invoice.payment_action_required",
            "account.updated", "account.application.deauthorized", "checkout.session.expired",
            "billing_portal.configuration.created", "customer.deleted", "customer.subscription.trial_will_end",
            "invoiceitem.created", "payment_method.attached", "subscription_schedule.created",
            "subscription_schedule.updated", "subscription_schedule.released",
            "subscription_schedule.canceled"} <= event_types, event_types
    found = {re.sub(r"\[\d+\]", "[]", p) for obj in objects for p in problems(obj)}
    assert found == set(), "\n".join(sorted(found))


def test_expanded_responses_have_the_pinned_versions_shape(client: stripe.StripeClient,
                                                           standin: StandinServer) -> None:
    price = _monthly_price(client)
    session = client.v1.checkout.sessions.create(params={
        "mode": "subscription", "customer_email": "e@example.com", "success_url": "https://x.example/ok",
        "line_items": [{"price": price.id, "quantity": 1}]})
    _pay(session)
    expanded = client.v1.checkout.sessions.retrieve(session.id, params={
        "expand": ["line_items", "customer", "subscription.latest_invoice.payments", "subscription.items.data.price.product"]})
    assert problems(expanded.to_dict()) == []
    invoice = expanded.subscription.latest_invoice
    assert problems(client.v1.invoices.retrieve(invoice.id, params={"expand": ["payments"]}).to_dict()) == []
    body = requests.get(f"{standin.url}/v1/subscriptions/{expanded.subscription.id}",
                        headers={"Authorization": "Bearer sk_test_x"}).json()
    assert "current_period_end" not in body and body["items"]["data"][0]["current_period_end"] > 0
