"""Webhook signing, routing, hold/flush, retries and the failed list."""

from __future__ import annotations

import json
import time

import pytest
import requests
import stripe

from stripe_standin import StandinServer, sign_webhook_payload

from .conftest import PLATFORM_SECRET, WebhookReceiver, wait_for


def test_signature_scheme_matches_stripe_python() -> None:
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "customer.created",
                          "data": {"object": {"id": "cus_1", "object": "customer"}}})
    header = sign_webhook_payload(payload, "whsec_abc")
    timestamp, signature = header.split(",")
    assert timestamp.startswith("t=") and signature.startswith("v1=") and len(signature) == 3 + 64
    event = stripe.Webhook.construct_event(payload, header, "whsec_abc")
    assert event.type == "customer.created"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_wrong")
    with pytest.raises(stripe.SignatureVerificationError):  # stale timestamps are refused by receivers
        stripe.Webhook.construct_event(payload, sign_webhook_payload(payload, "whsec_abc", int(time.time()) - 3600),
                                       "whsec_abc")


def test_hold_then_flush_reversed_and_duplicated(client: stripe.StripeClient, standin: StandinServer,
                                                 receiver: WebhookReceiver) -> None:
    assert requests.post(standin.url + "/_standin/webhooks/hold", json={"hold": True}).json()["held"] is True
    ids = [client.v1.customers.create(params={"email": f"c{i}@example.com"}).id for i in range(3)]
    time.sleep(0.1)
    status = requests.get(standin.url + "/_standin/webhooks").json()
    assert [q["type"] for q in status["queued"]] == ["customer.created"] * 3
    assert receiver.requests == []

    summary = requests.post(standin.url + "/_standin/webhooks/flush",
                            json={"order": "reverse", "duplicate": True}).json()
    assert summary["delivered"] == 6
    assert [d["status_code"] for d in summary["deliveries"]] == [200] * 6
    received = [e["data"]["object"]["id"] for e in receiver.events("/platform")]
    assert received == [ids[2], ids[2], ids[1], ids[1], ids[0], ids[0]]
    # duplicates are the same event, byte for byte
    bodies = [r["body"] for r in receiver.requests]
    assert bodies[0] == bodies[1] and json.loads(bodies[0])["type"] == "customer.created"
    assert requests.get(standin.url + "/_standin/webhooks").json()["queued"] == []

    requests.post(standin.url + "/_standin/webhooks/hold", json={"hold": False})
    client.v1.customers.create(params={"email": "after@example.com"})
    assert requests.post(standin.url + "/_standin/webhooks/wait", json={"timeout": 5}).json()["idle"] is True
    assert len(receiver.requests) == 7


def test_failed_deliveries_are_retried_then_listed(client: stripe.StripeClient, standin: StandinServer,
                                                   receiver: WebhookReceiver) -> None:
    receiver.status = 500
    customer = client.v1.customers.create(params={"email": "x@example.com"})
    assert standin.wait_for_webhooks(5)
    assert len(receiver.requests) == 3  # first try + 2 retries (webhook_retry_delays has two entries)
    failed = requests.get(standin.url + "/_standin/webhooks").json()["failed"]
    assert len(failed) == 1
    assert (failed[0]["type"], failed[0]["status_code"], failed[0]["attempts"]) == ("customer.created", 500, 3)
    assert failed[0]["endpoint"] == "platform"

    # a later event is still delivered once the endpoint recovers
    receiver.status = 200
    client.v1.customers.update(customer.id, params={"name": "X"})
    assert standin.wait_for_webhooks(5)
    assert receiver.types()[-1] == "customer.updated"

    standin.configure(platform_webhook_url="http://127.0.0.1:9/unreachable", webhook_retry_delays=[])
    client.v1.customers.create(params={"email": "y@example.com"})
    assert standin.wait_for_webhooks(10)
    last = standin.webhook_status()["deliveries"][-1]
    assert last["status"] == "failed" and last["status_code"] is None and last["error"]


def test_events_route_by_account_and_endpoint_config(client: stripe.StripeClient, standin: StandinServer,
                                                     receiver: WebhookReceiver, connected_account: str) -> None:
    client.v1.customers.create(params={"email": "p@example.com"})
    client.v1.customers.create(params={"email": "c@example.com"}, options={"stripe_account": connected_account})
    assert standin.wait_for_webhooks(5)
    platform, connect = receiver.events("/platform"), receiver.events("/connect")
    assert [e["type"] for e in platform] == ["customer.created"] and "account" not in platform[0]
    assert [e["type"] for e in connect] == ["customer.created"] and connect[0]["account"] == connected_account
    request = next(r for r in receiver.requests if r["path"] == "/platform")
    assert request["headers"]["Content-Type"].startswith("application/json")
    stripe.Webhook.construct_event(request["body"], request["headers"]["Stripe-Signature"], PLATFORM_SECRET)

    # list endpoints are per account too
    assert [e.type for e in client.v1.events.list(params={"type": "customer.*"}).data] == ["customer.created"]
    assert client.v1.events.list(params={"type": "invoice.*"}).data == []

    # without an endpoint, nothing is sent and the delivery says why
    requests.post(standin.url + "/_standin/config", json={"platform_webhook_url": None})
    receiver.clear()
    client.v1.customers.create(params={"email": "q@example.com"})
    wait_for(lambda: standin.webhook_status()["deliveries"][-1]["status"] == "skipped")
    assert receiver.requests == []


def test_reset_and_config_control_api(client: stripe.StripeClient, standin: StandinServer) -> None:
    client.v1.products.create(params={"name": "Gone soon"})
    assert requests.post(standin.url + "/_standin/reset").json() == {"reset": True}
    assert client.v1.products.list().data == []
    response = requests.post(standin.url + "/_standin/config", json={"public_base": "https://pay.example/"})
    assert response.json()["public_base"] == "https://pay.example"
    price = client.v1.prices.create(params={"product_data": {"name": "P"}, "unit_amount": 100, "currency": "usd"})
    session = client.v1.checkout.sessions.create(params={"mode": "payment",
                                                         "line_items": [{"price": price.id, "quantity": 1}]})
    assert session.url == f"https://pay.example/checkout/{session.id}"
    assert requests.post(standin.url + "/_standin/config", json={"bogus": 1}).status_code == 400
    assert requests.post(standin.url + "/_standin/clock/advance", json={"seconds": "x"}).status_code == 400
