"""The whole upgrade journey, over HTTP against the Stripe stand-in, with signed webhooks
delivered to a live server and processed by the Celery task."""

import pytest
import time_machine
from django.utils import timezone

from billing.models import StripeEvent, Subscription
from billing.services import subscriptions_reconcile, tier_create
from tenants.models import EndUser

from .conftest import connect_stripe, pay, portal_click, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def plan_of(end_user) -> str:
    return EndUser.objects.select_related("tier").get(pk=end_user.pk).tier.slug


def test_free_user_upgrades_pays_cancels_and_returns_to_free(client, alice, standin):
    client.force_login(alice.user)
    account = connect_stripe(client, alice.project, standin)
    assert account.startswith("acct_")
    pro = tier_create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=1900,
                      currency="usd", interval="month", monthly_limit=1000)
    assert pro.stripe_price_id.startswith("price_")
    alice.project.tiers.filter(slug="free", mode="test").update(monthly_limit=2)
    user = alice.end_user("journey@example.com")
    api = alice.api(HTTP_X_USER_ID=user.public_id)

    # Free user hits the limit.
    assert [api.post("/api/data").status_code for _ in range(3)] == [200, 200, 403]

    # Checkout on the developer's connected account, paid on the hosted page.
    response = api.post("/api/create-checkout", {"tier": "pro", "successUrl": "https://app.example.com/ok"},
                        format="json")
    assert response.status_code == 200, response.content
    paid = pay(response.json()["url"])
    assert paid.status_code == 303 and paid.headers["Location"].startswith("https://app.example.com/ok")

    # Signed webhooks arrive, are processed, and the higher limit applies on the next call.
    wait_until(lambda: plan_of(user) == "pro")
    usage = api.post("/api/data")
    assert usage.status_code == 200
    assert usage.json()["usage"]["limit"] == 1000
    assert usage.json()["usage"]["count"] == 3  # the count of the month carried into the billing period
    subscription = Subscription.objects.get(end_user=user)
    assert subscription.status == "active" and subscription.account_id == account
    assert StripeEvent.objects.filter(status="failed").count() == 0

    # Cancel at period end in the portal: still pro until the period is over.
    portal = api.post("/api/customer-portal", {"returnUrl": "https://app.example.com/account"}, format="json")
    assert portal.status_code == 200
    assert portal_click(portal.json()["url"], "cancel_at_period_end").status_code == 303
    wait_until(lambda: Subscription.objects.get(pk=subscription.pk).cancel_at_period_end)
    assert plan_of(user) == "pro"

    # The period ends (the stand-in's clock moves): Stripe ends the subscription, we go back to free.
    standin.advance_clock(32 * 24 * 3600)
    wait_until(lambda: plan_of(user) == "free")
    assert Subscription.objects.get(pk=subscription.pk).status == "canceled"
    assert standin.wait_for_webhooks(10)
    statuses = {e.stripe_event_id: (e.type, e.status, e.last_error) for e in StripeEvent.objects.all()}
    assert all(status in ("processed", "ignored") for _, status, _ in statuses.values()), statuses


def test_reconciliation_ends_a_cancelled_plan_when_the_deleted_event_is_lost(client, alice, standin):
    client.force_login(alice.user)
    connect_stripe(client, alice.project, standin)
    tier_create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=50)
    user = alice.end_user("lost@example.com")
    api = alice.api(HTTP_X_USER_ID=user.public_id)
    pay(api.post("/api/create-checkout", {"tier": "pro"}, format="json").json()["url"])
    wait_until(lambda: plan_of(user) == "pro")
    portal_click(api.post("/api/customer-portal", {}, format="json").json()["url"], "cancel_at_period_end")
    wait_until(lambda: Subscription.objects.get(end_user=user).cancel_at_period_end)

    assert standin.wait_for_webhooks(10)  # nothing in flight when the clock moves
    standin.hold_webhooks(True)  # every event from now on is lost
    period_end = Subscription.objects.get(end_user=user).current_period_end
    with time_machine.travel(period_end + timezone.timedelta(minutes=1), tick=False):
        result = subscriptions_reconcile()
    assert result["expired"] == 1
    assert plan_of(user) == "free"


def test_reconciliation_picks_up_a_checkout_whose_events_were_all_missed(client, alice, standin):
    client.force_login(alice.user)
    connect_stripe(client, alice.project, standin)
    tier_create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=50)
    user = alice.end_user("missed@example.com")
    api = alice.api(HTTP_X_USER_ID=user.public_id)
    standin.hold_webhooks(True)
    pay(api.post("/api/create-checkout", {"tier": "pro"}, format="json").json()["url"])
    assert plan_of(user) == "free"
    assert subscriptions_reconcile()["applied"] == 1
    assert plan_of(user) == "pro"
    assert subscriptions_reconcile()["applied"] == 0  # nothing left to repair
