"""What happens to subscriptions and accounts outside the API calls a platform makes: a paused and
resumed subscription, a renewal that needs 3-D Secure, an owner who skips onboarding or
disconnects the platform. Each emits the events Stripe sends."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from stripe_standin import StandinServer

from .conftest import WebhookReceiver
from .test_checkout_and_billing import subscribe


def test_pause_then_resume(client: stripe.StripeClient, standin: StandinServer, receiver: WebhookReceiver) -> None:
    sub = subscribe(client)
    standin.wait_for_webhooks(5)
    receiver.clear()
    assert requests.post(f"{standin.url}/_standin/subscriptions/{sub.id}/pause", json={}).status_code == 200
    assert client.v1.subscriptions.retrieve(sub.id).status == "paused"
    resumed = client.v1.subscriptions.resume(sub.id)
    assert resumed.status == "active"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.resume(sub.id)  # only a paused subscription can be resumed
    assert standin.wait_for_webhooks(5)
    types = receiver.types("/platform")
    assert types[:4] == ["customer.subscription.updated", "customer.subscription.paused",
                         "customer.subscription.resumed", "customer.subscription.updated"]
    assert types[4:] == ["invoice.created", "invoice.finalized", "payment_intent.succeeded", "invoice.paid",
                         "invoice.payment_succeeded"]


def test_a_renewal_that_needs_authentication(client: stripe.StripeClient, standin: StandinServer,
                                             receiver: WebhookReceiver) -> None:
    sub = subscribe(client)
    standin.wait_for_webhooks(5)
    receiver.clear()
    result = requests.post(f"{standin.url}/_standin/subscriptions/{sub.id}/fail_payment",
                           json={"authentication_required": True}).json()
    assert result["subscription"]["status"] == "past_due" and result["invoice"]["status"] == "open"
    assert standin.wait_for_webhooks(5)
    assert receiver.types("/platform") == ["invoice.created", "invoice.finalized", "payment_intent.requires_action",
                                           "invoice.payment_action_required", "customer.subscription.updated"]
    intent = receiver.events("/platform")[2]["data"]["object"]
    assert intent["status"] == "requires_action" and intent["next_action"]["type"] == "use_stripe_sdk"
    assert client.v1.invoices.pay(result["invoice"]["id"]).status == "paid"
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_an_owner_who_skips_onboarding_then_finishes_it(standin: StandinServer, receiver: WebhookReceiver) -> None:
    form = {"client_id": "ca_x", "redirect_uri": "https://platform.example/cb", "response_type": "code",
            "decision": "allow", "skip_onboarding": "1"}
    assert requests.post(f"{standin.url}/oauth/authorize", data=form, allow_redirects=False).status_code == 302
    account: Any = next(a for a in standin.store.accounts.values() if a.connected).obj
    assert (account["charges_enabled"], account["details_submitted"]) == (False, False)
    assert account["requirements"]["disabled_reason"] == "requirements.past_due"
    assert "Skip the account details" in requests.get(
        f"{standin.url}/oauth/authorize?response_type=code&client_id=ca_x&redirect_uri=https://p.example/cb").text
    response = requests.post(f"{standin.url}/_standin/accounts/{account['id']}", json={"onboarding_complete": True})
    assert response.json()["charges_enabled"] is True
    assert standin.wait_for_webhooks(5)
    updated = receiver.events("/connect")[-1]
    assert updated["type"] == "account.updated" and updated["account"] == account["id"]
    assert updated["data"]["previous_attributes"]["charges_enabled"] is False


def test_an_owner_who_disconnects_the_platform(client: stripe.StripeClient, standin: StandinServer,
                                               receiver: WebhookReceiver, connected_account: str) -> None:
    response = requests.post(f"{standin.url}/_standin/accounts/{connected_account}/deauthorize", json={})
    assert response.status_code == 200
    with pytest.raises(stripe.PermissionError):
        client.v1.products.list(options={"stripe_account": connected_account})
    assert standin.wait_for_webhooks(5)
    event = receiver.events("/connect")[-1]
    assert (event["type"], event["account"]) == ("account.application.deauthorized", connected_account)
    assert requests.post(f"{standin.url}/_standin/accounts/{connected_account}/deauthorize",
                         json={}).status_code == 404
