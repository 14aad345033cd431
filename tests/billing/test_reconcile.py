"""Reconciliation touches only our subscriptions: a connected account's other subscriptions are
skipped from the list alone, without fetching each one (counted on the stand-in)."""

from __future__ import annotations

import pytest

from billing import stripe_api
from billing.models import StripeConnection, Subscription
from billing.services import subscriptions_reconcile, tier_create
from tenants.models import EndUser

from .conftest import connect_stripe, pay

pytestmark = pytest.mark.django_db(transaction=True)


def _foreign_subscription(standin, account: str, email: str, metadata: dict | None = None) -> str:
    """A subscription the developer sells outside dream-api, on the same account."""
    client = stripe_api._client("test")
    options = {"stripe_account": account}
    price = client.v1.prices.create({"product_data": {"name": "Their own plan"}, "unit_amount": 700,
                                     "currency": "usd", "recurring": {"interval": "month"}}, options)
    params = {"mode": "subscription", "customer_email": email, "success_url": "https://them.example/ok",
              "line_items": [{"price": price.id, "quantity": 1}]}
    if metadata:
        params["subscription_data"] = {"metadata": metadata}
    session = client.v1.checkout.sessions.create(params, options)
    assert pay(session.url).status_code == 303
    return client.v1.checkout.sessions.retrieve(session.id, options=options).subscription


def _retrieved(calls: list[dict]) -> set[str]:
    """The subscriptions fetched one by one."""
    return {r["path"].rsplit("/", 1)[1] for r in calls
            if r["method"] == "GET" and r["path"].startswith("/v1/subscriptions/")}


def test_reconciliation_skips_the_accounts_other_subscriptions_without_fetching_them(client, alice, bob, standin):
    client.force_login(alice.user)
    account = connect_stripe(client, alice.project, standin)
    tier_create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=50)
    standin.hold_webhooks(True)  # every event is missed: only reconciliation can find ours
    foreign = [_foreign_subscription(standin, account, f"theirs{i}@example.com") for i in range(3)]
    # Metadata naming another project, or an end user that doesn't exist, is not ours either.
    foreign.append(_foreign_subscription(standin, account, "other@example.com", {
        "dreamapi_end_user": bob.end_user("b@example.com").public_id, "dreamapi_project": bob.project.public_id}))
    foreign.append(_foreign_subscription(standin, account, "ghost@example.com", {"dreamapi_end_user": "usr_gone"}))
    user = alice.end_user("ours@example.com")
    url = alice.api(HTTP_X_USER_ID=user.public_id).post("/api/create-checkout", {"tier": "pro"}, format="json").json()["url"]
    assert pay(url).status_code == 303
    before = len(standin.requests())

    assert subscriptions_reconcile()["applied"] == 1
    ours = Subscription.objects.get(end_user=user).stripe_subscription_id
    retrieved = _retrieved(standin.requests()[before:])
    assert retrieved == {ours}  # subscription_apply reads ours (twice); the five others never
    assert not retrieved & set(foreign)
    assert EndUser.objects.get(pk=user.pk).tier.slug == "pro"

    # The next run fetches nothing at all: ours is known and unchanged, the rest isn't ours.
    before = len(standin.requests())
    assert subscriptions_reconcile()["applied"] == 0
    assert [r["path"] for r in standin.requests()[before:]] == ["/v1/subscriptions"]
    assert StripeConnection.objects.get().account_id == account
