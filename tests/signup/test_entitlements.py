"""Entitlements in the end-user token (issue 13 item 3): plan, features and their version,
verified offline with the project's JWKS; every plan change bumps the version, and a refresh
carries the new claims."""

from datetime import timedelta

import jwt
import pytest
from django.test import Client
from django.utils import timezone
from jwt.algorithms import ECAlgorithm

from billing.models import Subscription, Tier
from billing.services import tier_delete
from billing.services.subscriptions import end_user_plan_refresh
from signup.tokens import end_user_token_issue
from tenants.models import EndUser
from usage.entitlements import entitlement_version
from usage.features import FeatureInput, tier_features_set

from .conftest import REDIRECT, code_from, hosted_url, verified_user

pytestmark = pytest.mark.django_db


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture
def pro(alice):
    tier = Tier.objects.create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=900,
                               monthly_limit=10_000)
    tier_features_set(tier=tier, features=[FeatureInput(key="exports", kind="metered", limit=50),
                                           FeatureInput(key="storage", kind="metered", limit=None),
                                           FeatureInput(key="sso", kind="boolean", enabled=True)])
    tier_features_set(tier=alice.project.tiers.get(slug="free", mode="test"),
                      features=[FeatureInput(key="sso", kind="boolean", enabled=False)])
    return tier


def test_the_token_carries_the_plan_its_features_and_their_version(alice, pro):
    token = end_user_token_issue(end_user=alice.end_user()).token
    assert {k: claims(token)[k] for k in ("plan", "features", "ent_ver")} == {
        "plan": "free", "features": {"api_calls": 100, "sso": False}, "ent_ver": 1}


def test_a_feature_is_checked_offline_with_the_jwks(alice, pro):
    """What docs/signup.md shows a developer: no call to dream-api but the (cacheable) JWKS."""
    end_user = alice.end_user(plan="pro")
    token = end_user_token_issue(end_user=end_user).token
    jwks = Client().get(f"/.well-known/jwks/{alice.project.public_id}.json").json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = ECAlgorithm.from_jwk(next(k for k in jwks["keys"] if k["kid"] == kid))
    verified = jwt.decode(token, key, algorithms=["ES256"], audience=alice.project.public_id,
                          issuer=claims(token)["iss"])
    assert verified["features"]["sso"] is True
    assert verified["features"]["exports"] == 50 and verified["features"]["storage"] == "unlimited"
    tampered = token.rsplit(".", 1)[0] + "." + token.rsplit(".", 1)[1][::-1]
    with pytest.raises(jwt.InvalidTokenError):
        jwt.decode(tampered, key, algorithms=["ES256"], audience=alice.project.public_id)


def test_a_plan_change_through_the_api_bumps_the_version_and_a_refresh_carries_it(alice, pro):
    end_user = verified_user(alice)
    old = end_user_token_issue(end_user=end_user).token
    changed = alice.api().patch(f"/api/customers/{end_user.public_id}", {"plan": "pro"}, format="json")
    assert changed.status_code == 200
    assert entitlement_version(end_user_id=end_user.id) == 2
    refreshed = alice.api().post("/api/auth/refresh", {"token": old}, format="json")
    assert refreshed.status_code == 200
    new = claims(refreshed.json()["token"])
    assert (new["plan"], new["ent_ver"], new["features"]["sso"]) == ("pro", 2, True)
    # A name change is not a plan change.
    alice.api().patch(f"/api/customers/{end_user.public_id}", {"firstName": "Carol"}, format="json")
    assert entitlement_version(end_user_id=end_user.id) == 2


def test_the_hosted_refresh_carries_the_new_claims(alice_pages, pro):
    end_user = verified_user(alice_pages)
    client = Client()
    assert client.post(hosted_url("/signin", alice_pages),
                       {"email": end_user.email, "password": "violet-harbour-lantern-42"}).status_code == 303
    alice_pages.api().patch(f"/api/customers/{end_user.public_id}", {"plan": "pro"}, format="json")
    response = client.get(hosted_url("/refresh", alice_pages))
    assert response.status_code == 303 and response.headers["Location"].startswith(REDIRECT)
    body = alice_pages.api().post("/api/auth/exchange", {"code": code_from(response.headers["Location"]),
                                                         "redirectUri": REDIRECT}, format="json").json()
    assert (claims(body["token"])["plan"], claims(body["token"])["ent_ver"]) == ("pro", 2)


def test_a_subscription_moving_the_plan_bumps_the_version(alice, pro):
    end_user = alice.end_user()
    now = timezone.now()
    Subscription.objects.create(end_user=end_user, account_id="acct_x", stripe_subscription_id="sub_x",
                                stripe_customer_id="cus_x", tier=pro, status="active",
                                current_period_start=now - timedelta(days=1),
                                current_period_end=now + timedelta(days=29))
    end_user_plan_refresh(end_user=EndUser.objects.get(pk=end_user.pk))
    assert entitlement_version(end_user_id=end_user.id) == 2
    end_user_plan_refresh(end_user=EndUser.objects.get(pk=end_user.pk))  # nothing changed: no bump
    assert entitlement_version(end_user_id=end_user.id) == 2
    Subscription.objects.filter(stripe_subscription_id="sub_x").update(status="canceled")
    end_user_plan_refresh(end_user=EndUser.objects.get(pk=end_user.pk))  # back to free
    assert entitlement_version(end_user_id=end_user.id) == 3
    assert claims(end_user_token_issue(end_user=EndUser.objects.get(pk=end_user.pk)).token)["plan"] == "free"


def test_deleting_a_tier_moves_its_end_users_with_a_new_version(alice, pro):
    moved, stayed = alice.end_user("a@example.com", plan="pro"), alice.end_user("b@example.com")
    tier_delete(tier=pro, move_users_to=alice.project.tiers.get(slug="free", mode="test"))
    assert entitlement_version(end_user_id=moved.id) == 2
    assert entitlement_version(end_user_id=stayed.id) == 1


def test_changing_a_tiers_features_bumps_only_its_end_users(alice, pro):
    on_pro, on_free = alice.end_user("a@example.com", plan="pro"), alice.end_user("b@example.com")
    tier_features_set(tier=pro, features=[FeatureInput(key="exports", kind="metered", limit=60)])
    assert (entitlement_version(end_user_id=on_pro.id), entitlement_version(end_user_id=on_free.id)) == (2, 1)
    tier_features_set(tier=pro, features=[FeatureInput(key="exports", kind="metered", limit=60)])  # the same
    assert entitlement_version(end_user_id=on_pro.id) == 2
    Tier.objects.filter(pk=pro.pk).update(monthly_limit=20_000)
    pro.refresh_from_db()
    tier_features_set(tier=pro, features=[FeatureInput(key="exports", kind="metered", limit=60)],
                      previous_monthly_limit=10_000)  # the calls per period changed
    assert entitlement_version(end_user_id=on_pro.id) == 3
    fresh = EndUser.objects.get(pk=on_pro.pk)
    assert claims(end_user_token_issue(end_user=fresh).token)["features"] == {"api_calls": 20_000, "exports": 60}
