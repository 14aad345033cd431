"""Idempotency keys sent to Stripe: the same request gets the same key, any other request a new one
(the stand-in enforces Stripe's rules: same key + other parameters is a 400, keys over 255 characters
are refused, a replay returns the first answer)."""

from __future__ import annotations

import pytest

from billing import stripe_api
from billing.models import Tier
from billing.services import tier_create, tier_delete
from dreamapi.errors import ApiError

from .conftest import connect_stripe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connected(client, alice, standin):
    client.force_login(alice.user)
    alice.account = connect_stripe(client, alice.project, standin)
    return alice


def price_of(tenant, price_id):
    return stripe_api._client("test").v1.prices.retrieve(price_id, options={"stripe_account": tenant.account})


def test_a_tier_recreated_with_a_deleted_tiers_slug_gets_a_new_active_price(connected):
    first = tier_create(project=connected.project, mode="test", slug="pro", name="Pro", price_cents=900,
                        monthly_limit=50)
    tier_delete(tier=first)
    assert price_of(connected, first.stripe_price_id).active is False
    again = tier_create(project=connected.project, mode="test", slug="pro", name="Pro", price_cents=900,
                        monthly_limit=50)
    assert again.stripe_price_id != first.stripe_price_id
    assert price_of(connected, again.stripe_price_id).active is True
    user = connected.end_user("buyer@example.com")
    response = connected.api(HTTP_X_USER_ID=user.public_id).post("/api/create-checkout", {"tier": "pro"},
                                                                 format="json")
    assert response.status_code == 200, response.content


def test_a_save_retried_with_another_name_after_a_failure_goes_through(connected, monkeypatch):
    real_price_create = stripe_api.price_create
    calls = []

    def price_create_fails_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:  # the product exists in Stripe, then the connection drops
            raise stripe_api.StripeError("Stripe could not be reached; try again shortly.", retryable=True,
                                         code="stripe_unavailable", status_code=503)
        return real_price_create(**kwargs)

    monkeypatch.setattr(stripe_api, "price_create", price_create_fails_once)
    with pytest.raises(ApiError):
        tier_create(project=connected.project, mode="test", slug="team", name="Team", price_cents=2900,
                    monthly_limit=50)
    assert not Tier.objects.filter(slug="team").exists()
    tier = tier_create(project=connected.project, mode="test", slug="team", name="Team plan", price_cents=2900,
                       monthly_limit=50)
    product = stripe_api._client("test").v1.products.retrieve(tier.stripe_product_id,
                                                              options={"stripe_account": connected.account})
    assert product.name == "Team plan"


def test_the_same_save_retried_reuses_what_stripe_already_created(connected, standin):
    key = stripe_api.idempotency_key("tier-product", "acct_x", "test", 7, "Pro", {"a": "b"})
    assert key == stripe_api.idempotency_key("tier-product", "acct_x", "test", 7, "Pro", {"a": "b"})
    assert key != stripe_api.idempotency_key("tier-product", "acct_x", "test", 8, "Pro", {"a": "b"})
    assert key != stripe_api.idempotency_key("tier-product", "acct_x", "test", 7, "Pro+", {"a": "b"})
    first = stripe_api.product_create(mode="test", account=connected.account, name="Pro", metadata={"a": "b"},
                                      idempotency_key=key)
    again = stripe_api.product_create(mode="test", account=connected.account, name="Pro", metadata={"a": "b"},
                                      idempotency_key=key)
    assert first == again


def test_a_long_client_idempotency_key_is_hashed_not_refused(connected):
    tier_create(project=connected.project, mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=50)
    user = connected.end_user("keys@example.com")
    api = connected.api(HTTP_X_USER_ID=user.public_id, HTTP_IDEMPOTENCY_KEY="k" * 300)
    first = api.post("/api/create-checkout", {"tier": "pro"}, format="json")
    assert first.status_code == 200, first.content
    again = api.post("/api/create-checkout", {"tier": "pro"}, format="json")
    assert again.json()["sessionId"] == first.json()["sessionId"]  # a retry gets the same session
    other_url = api.post("/api/create-checkout", {"tier": "pro", "successUrl": "https://app.example.com/thanks"},
                         format="json")
    assert other_url.status_code == 200  # same client key, another request: a new session, not a 400
    assert other_url.json()["sessionId"] != first.json()["sessionId"]
    assert len(stripe_api.idempotency_key("checkout", "x" * 1000)) <= 80
