"""Errors from Stripe reach API clients as our own message and a status that says whose problem it
is (409/422/503), never Stripe's text or ids; Stripe's request id goes to the log. Prices Stripe
could never charge are refused when the tier is saved."""

from __future__ import annotations

import logging
import re

import pytest

from billing import stripe_api
from billing.models import Tier
from billing.services import tier_create, tier_update
from dreamapi.errors import ApiError

pytestmark = pytest.mark.django_db(transaction=True)

STRIPE_ID = re.compile(r"\b(price|prod|cus|acct|req|cs|sub)_[A-Za-z0-9]+")


def checkout(tenant):
    user = tenant.end_user("errors@example.com")
    return tenant.api(HTTP_X_USER_ID=user.public_id).post("/api/create-checkout", {"tier": "pro"}, format="json")


def test_a_price_archived_in_the_stripe_dashboard_gives_422_with_our_message(shop, caplog):
    tier = Tier.objects.get(slug="pro", mode="test")
    stripe_api._client("test").v1.prices.update(tier.stripe_price_id, {"active": False},
                                                {"stripe_account": shop.account})
    caplog.set_level(logging.WARNING, logger="billing.stripe_api")
    response = checkout(shop)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "stripe_rejected"
    assert not STRIPE_ID.search(body["message"]) and "inactive" not in body["message"]
    # Support finds Stripe's own answer and request id in the log.
    assert re.search(r"request id req_\w+", caplog.text) and "inactive" in caplog.text


def test_an_object_gone_from_stripe_gives_409(shop, caplog):
    Tier.objects.filter(slug="pro", mode="test").update(stripe_price_id="price_deletedInStripe0000")
    caplog.set_level(logging.WARNING, logger="billing.stripe_api")
    response = checkout(shop)
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "stripe_object_missing" and not STRIPE_ID.search(body["message"])
    assert "price_deletedInStripe0000" in caplog.text


def test_stripe_unreachable_is_503_and_retryable(shop, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:1"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    stripe_api.reset_clients()
    response = checkout(shop)
    assert response.status_code == 503 and response.json()["code"] == "stripe_unavailable"


@pytest.mark.parametrize("price_cents,currency,problem", [
    (49, "usd", "minimum charge in USD is 0.50 USD"),
    (29, "gbp", "minimum charge in GBP is 0.30 GBP"),
    (49, "jpy", "minimum charge in JPY is 50 JPY"),
    (17499, "huf", "minimum charge in HUF is 175.00 HUF"),
    (5125, "kwd", "use an amount ending in 0, such as 5120 or 5130"),
    (100_000_000, "usd", "at most 999,999.99 USD"),
])
def test_a_price_stripe_cannot_charge_is_refused_with_a_clear_400(alice, price_cents, currency, problem):
    with pytest.raises(ApiError) as info:
        tier_create(project=alice.project, mode="test", slug="cheap", name="Cheap", price_cents=price_cents,
                    currency=currency, monthly_limit=10)
    assert info.value.status_code == 400 and info.value.code == "invalid_price"
    assert problem in info.value.message and info.value.message.startswith("price_cents: ")
    assert not Tier.objects.filter(slug="cheap").exists()


@pytest.mark.parametrize("price_cents,currency", [(50, "usd"), (30, "gbp"), (50, "jpy"), (5120, "kwd"), (1, "xyz"),
                                                  (0, "usd")])
def test_prices_stripe_can_charge_are_accepted(alice, price_cents, currency):
    tier = tier_create(project=alice.project, mode="test", slug="ok", name="Ok", price_cents=price_cents,
                       currency=currency, monthly_limit=10)
    assert tier.price_cents == price_cents


def test_the_dashboard_shows_the_minimum_when_a_tier_is_saved_too_cheap(client, shop):
    response = client.post(f"/dashboard/projects/{shop.project.public_id}/tiers/pro/?mode=test",
                           {"name": "Pro", "price_cents": 10, "currency": "usd", "interval": "month",
                            "monthly_limit": 500, "order": 1, "mode": "test"})
    assert response.status_code == 200
    assert "minimum charge in USD is 0.50 USD" in response.content.decode()
    assert Tier.objects.get(slug="pro", mode="test").price_cents == 900
    with pytest.raises(ApiError):
        tier_update(tier=Tier.objects.get(slug="pro", mode="test"), price_cents=10)
