import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from billing.models import StripeEvent, Subscription
from billing.services import stripe_event_replay, tier_create
from tenants.models import EndUser

from .conftest import CONNECT_SECRET, connect_stripe, pay, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def signed(payload: bytes, secret: str = CONNECT_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def post_event(event: dict, signature: str | None = None, secret: str = CONNECT_SECRET, timestamp=None):
    payload = json.dumps(event).encode()
    headers = {"HTTP_STRIPE_SIGNATURE": signature or signed(payload, secret, timestamp)}
    return Client().post("/webhook/stripe", data=payload, content_type="application/json", **headers)


def an_event(event_id="evt_test_1", account="acct_nobody", type_="customer.subscription.updated"):
    return {"id": event_id, "object": "event", "type": type_, "account": account, "livemode": False,
            "created": int(time.time()), "data": {"object": {"id": "sub_x", "object": "subscription"}}}


@pytest.fixture
def subscribed(client, alice, standin):
    """Alice's project connected, a pro tier, and a helper that buys it for a new end user."""
    client.force_login(alice.user)
    connect_stripe(client, alice.project, standin)
    tier_create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=500)

    def buy(email):
        user = alice.end_user(email)
        url = alice.api(HTTP_X_USER_ID=user.public_id).post("/api/create-checkout", {"tier": "pro"},
                                                               format="json").json()["url"]
        assert pay(url).status_code == 303
        return user
    return buy


def test_a_bad_signature_is_400_and_nothing_is_stored(settings):
    settings.STRIPE_CONNECT_WEBHOOK_SECRETS = [CONNECT_SECRET]
    response = post_event(an_event(), secret="whsec_wrong")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    response = Client().post("/webhook/stripe", data=b"{}", content_type="application/json")
    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_a_stale_timestamp_is_400(settings):
    settings.STRIPE_CONNECT_WEBHOOK_SECRETS = [CONNECT_SECRET]
    response = post_event(an_event(), timestamp=int(time.time()) - 3600)
    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_secret_rotation_accepts_either_secret(settings):
    settings.STRIPE_CONNECT_WEBHOOK_SECRETS = ["whsec_new_secret", CONNECT_SECRET]
    assert post_event(an_event("evt_old"), secret=CONNECT_SECRET).status_code == 200
    assert post_event(an_event("evt_new"), secret="whsec_new_secret").status_code == 200
    assert post_event(an_event("evt_bad"), secret="whsec_other").status_code == 400


def test_an_event_for_an_account_nobody_connected_is_recorded_and_ignored(settings):
    settings.STRIPE_CONNECT_WEBHOOK_SECRETS = [CONNECT_SECRET]
    response = post_event(an_event("evt_orphan", account="acct_unknown"))
    assert response.status_code == 200 and response.json()["duplicate"] is False
    event = StripeEvent.objects.get(stripe_event_id="evt_orphan")
    assert event.status == "ignored" and event.project is None
    assert "no project" in event.note


def test_a_duplicate_delivery_is_stored_and_processed_once(settings):
    settings.STRIPE_CONNECT_WEBHOOK_SECRETS = [CONNECT_SECRET]
    assert post_event(an_event("evt_dup")).json()["duplicate"] is False
    assert post_event(an_event("evt_dup")).json()["duplicate"] is True
    event = StripeEvent.objects.get(stripe_event_id="evt_dup")
    assert event.attempts == 1


def test_duplicated_events_from_stripe_end_in_one_subscription(standin, subscribed):
    standin.hold_webhooks(True)
    user = subscribed("dup@example.com")
    results = standin.flush_webhooks(duplicate=True)
    assert len(results) >= 8 and {r["status_code"] for r in results} == {200}
    assert EndUser.objects.get(pk=user.pk).tier.slug == "pro"
    assert Subscription.objects.filter(end_user=user).count() == 1
    assert StripeEvent.objects.filter(attempts__gt=1).count() == 0


def test_events_delivered_in_reverse_order_end_in_the_same_state(standin, subscribed):
    standin.hold_webhooks(True)
    user = subscribed("reverse@example.com")
    standin.flush_webhooks(order="reverse")
    subscription = Subscription.objects.get(end_user=user)
    assert (subscription.status, subscription.tier.slug) == ("active", "pro")
    assert EndUser.objects.get(pk=user.pk).tier.slug == "pro"


def test_an_event_that_keeps_failing_is_marked_failed_and_can_be_replayed(standin, subscribed, settings):
    standin.hold_webhooks(True)
    user = subscribed("fails@example.com")
    settings.STRIPE_API_BASE = "http://127.0.0.1:1"  # Stripe unreachable while the events arrive
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    from billing import stripe_api

    stripe_api.reset_clients()
    standin.flush_webhooks()
    failed = StripeEvent.objects.filter(status="failed")
    assert failed.exists()
    assert "unreachable" in failed.first().last_error or "could not be reached" in failed.first().last_error
    assert EndUser.objects.get(pk=user.pk).tier.slug == "free"

    settings.STRIPE_API_BASE = standin.url  # Stripe is back: the operator replays
    stripe_api.reset_clients()
    for event in failed:
        assert stripe_event_replay(event=event)
    wait_until(lambda: EndUser.objects.get(pk=user.pk).tier.slug == "pro")
    assert not StripeEvent.objects.filter(status="failed").exists()


def test_a_failed_renewal_payment_marks_the_subscription_past_due_and_keeps_the_plan(standin, subscribed):
    user = subscribed("dunning@example.com")
    wait_until(lambda: Subscription.objects.filter(end_user=user, status="active").exists())
    subscription = Subscription.objects.get(end_user=user)
    standin.fail_payment(subscription.stripe_subscription_id)
    wait_until(lambda: Subscription.objects.get(pk=subscription.pk).status == "past_due")
    assert standin.wait_for_webhooks(10)
    assert StripeEvent.objects.filter(type="invoice.payment_failed", status="processed").exists()
    # Stripe retries the payment during dunning; the paid plan holds until Stripe gives up.
    assert EndUser.objects.get(pk=user.pk).tier.slug == "pro"


def test_the_dashboard_lists_failed_events_and_replays_them(client, alice, settings):
    settings.STRIPE_CONNECT_WEBHOOK_SECRETS = [CONNECT_SECRET]
    event = StripeEvent.objects.create(stripe_event_id="evt_dash", type="invoice.paid", account_id="acct_x",
                                       payload={"id": "evt_dash"}, project=alice.project, status="failed",
                                       last_error="StripeError: Stripe could not be reached")
    client.force_login(alice.user)
    page = client.get(f"/dashboard/projects/{alice.project.public_id}/stripe/events/?status=failed").content.decode()
    assert "evt_dash" in page and "could not be reached" in page and "Replay" in page
    project_page = client.get(f"/dashboard/projects/{alice.project.public_id}/").content.decode()
    assert "1 failed" in project_page  # visible even with no account connected any more
    client.post(f"/dashboard/projects/{alice.project.public_id}/stripe/events/{event.pk}/replay/", {"mode": "test"})
    event.refresh_from_db()
    assert event.status == "ignored"  # replayed; nobody has acct_x connected


def test_the_readme_lists_every_event_type_billing_handles():
    """The platform's Connect endpoint must send them all (README: "Setting up the platform's Stripe account")."""
    import re
    from pathlib import Path

    from billing.services.events import HANDLED_EVENTS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    listed = readme.split("Enable these events:", 1)[1].split("(plus", 1)[0]
    assert set(re.findall(r"`([a-z_.]+)`", listed)) == set(HANDLED_EVENTS)
