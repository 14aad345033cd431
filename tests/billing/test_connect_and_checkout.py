import re

import pytest
import requests
from django.core import signing

from billing import stripe_api
from billing.models import BillingCustomer, StripeConnection, Tier
from billing.services import tier_create, tier_update

from .conftest import connect_stripe, hidden_inputs, local_path

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connected(client, alice, standin):
    client.force_login(alice.user)
    connect_stripe(client, alice.project, standin)
    tier_create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=1500, monthly_limit=500)
    return alice


def consent_redirect(client, project, standin, mode="test") -> str:
    """Start a connection and approve it on the stand-in; return the callback URL (not followed)."""
    authorize = client.post(f"/dashboard/projects/{project.public_id}/stripe/connect/", {"mode": mode})["Location"]
    form = hidden_inputs(requests.get(authorize, timeout=5).text) | {"decision": "allow"}
    return requests.post(f"{standin.url}/oauth/authorize", data=form, allow_redirects=False, timeout=5).headers["Location"]


def test_a_tampered_oauth_state_is_refused(client, alice, standin):
    client.force_login(alice.user)
    callback = consent_redirect(client, alice.project, standin)
    tampered = re.sub(r"state=[^&]+", "state=" + signing.dumps({"p": alice.project.public_id, "m": "test", "n": "x"}),
                      callback)
    response = client.get(local_path(tampered), follow=True)
    assert "could not be verified" in response.content.decode()
    assert not StripeConnection.objects.exists()


def test_a_callback_from_another_browser_session_is_refused(client, alice, bob, standin):
    client.force_login(alice.user)
    callback = consent_redirect(client, alice.project, standin)
    from django.test import Client

    other = Client()
    other.force_login(alice.user)  # same developer, but not the session that started the flow
    response = other.get(local_path(callback), follow=True)
    assert "not started from this browser session" in response.content.decode()
    assert not StripeConnection.objects.exists()


def test_another_developer_cannot_finish_a_connection_for_my_project(client, alice, bob, standin):
    client.force_login(alice.user)
    callback = consent_redirect(client, alice.project, standin)
    from django.test import Client

    bob_browser = Client()
    bob_browser.force_login(bob.user)
    bob_browser.post(f"/dashboard/projects/{bob.project.public_id}/stripe/connect/", {"mode": "test"})  # his own nonce
    response = bob_browser.get(local_path(callback), follow=True)
    assert "not started from this browser session" in response.content.decode()
    assert not StripeConnection.objects.exists()


def test_denying_on_stripe_connects_nothing(client, alice, standin):
    client.force_login(alice.user)
    authorize = client.post(f"/dashboard/projects/{alice.project.public_id}/stripe/connect/", {"mode": "test"})["Location"]
    form = hidden_inputs(requests.get(authorize, timeout=5).text) | {"decision": "deny"}
    denied = requests.post(f"{standin.url}/oauth/authorize", data=form, allow_redirects=False, timeout=5)
    response = client.get(local_path(denied.headers["Location"]), follow=True)
    assert "Stripe was not connected" in response.content.decode()
    assert not StripeConnection.objects.exists()


def test_connecting_creates_the_paid_tiers_in_stripe_and_disconnect_forgets_them(client, alice, standin):
    pro = tier_create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=10)
    assert pro.stripe_price_id == ""  # no account yet
    client.force_login(alice.user)
    account = connect_stripe(client, alice.project, standin)
    pro.refresh_from_db()
    assert pro.stripe_price_id.startswith("price_")
    price = stripe_api._client("test").v1.prices.retrieve(pro.stripe_price_id, options={"stripe_account": account})
    assert (price.unit_amount, price.currency, price.recurring.interval) == (900, "usd", "month")
    page = client.get(f"/dashboard/projects/{alice.project.public_id}/").content.decode()
    assert account in page
    client.post(f"/dashboard/projects/{alice.project.public_id}/stripe/disconnect/", {"mode": "test"})
    assert not StripeConnection.objects.filter(disconnected_at__isnull=True).exists()
    pro.refresh_from_db()
    assert pro.stripe_price_id == ""


def test_a_price_change_creates_a_new_price_and_archives_the_old(connected):
    from billing.services import tier_update

    tier = Tier.objects.get(project=connected.project, mode="test", slug="pro")
    old = tier.stripe_price_id
    tier_update(tier=tier, price_cents=2500)
    tier.refresh_from_db()
    assert tier.stripe_price_id != old
    account = StripeConnection.objects.get().account_id
    prices = stripe_api._client("test").v1.prices
    assert prices.retrieve(old, options={"stripe_account": account}).active is False
    assert prices.retrieve(tier.stripe_price_id, options={"stripe_account": account}).unit_amount == 2500
    assert list(tier.prices.values_list("stripe_price_id", "active")) == [(old, False), (tier.stripe_price_id, True)]


def test_a_stripe_failure_leaves_no_half_saved_tier(client, connected, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:1"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    stripe_api.reset_clients()
    response = client.post(
        f"/dashboard/projects/{connected.project.public_id}/tiers/new/?mode=test",
        {"slug": "max", "name": "Max", "price_cents": 9900, "currency": "usd", "interval": "month",
         "monthly_limit": 100000, "order": 2, "mode": "test"},
    )
    assert response.status_code == 200
    assert "Stripe could not be reached" in response.content.decode()
    assert not Tier.objects.filter(slug="max").exists()
    pro = Tier.objects.get(slug="pro", mode="test")
    response = client.post(
        f"/dashboard/projects/{connected.project.public_id}/tiers/pro/?mode=test",
        {"name": "Pro", "price_cents": 4000, "currency": "usd", "interval": "month", "monthly_limit": 500,
         "order": 1, "mode": "test"},
    )
    assert "Stripe could not be reached" in response.content.decode()
    pro_after = Tier.objects.get(pk=pro.pk)
    assert (pro_after.price_cents, pro_after.stripe_price_id) == (1500, pro.stripe_price_id)


def checkout(tenant, user, **body):
    return tenant.api(HTTP_X_USER_ID=user.public_id).post("/api/create-checkout", body, format="json")


def test_checkout_creates_the_stripe_customer_once_and_links_the_session(connected, standin):
    user = connected.end_user("buyer@example.com")
    first = checkout(connected, user, tier="pro")
    second = checkout(connected, user, tier="pro")
    assert first.status_code == second.status_code == 200
    assert first.json()["url"].startswith(f"{standin.url}/checkout/")
    assert BillingCustomer.objects.filter(end_user=user).count() == 1
    account = StripeConnection.objects.get().account_id
    session = stripe_api._client("test").v1.checkout.sessions.retrieve(first.json()["sessionId"],
                                                                       options={"stripe_account": account})
    assert session.client_reference_id == user.public_id
    assert session.metadata["dreamapi_end_user"] == user.public_id
    assert session.customer == BillingCustomer.objects.get(end_user=user).stripe_customer_id
    assert session.success_url == f"{connected.project and ''}" or session.success_url.endswith("/checkout/success")


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"tier": "free"}, 400, "free_tier"),
        ({"tier": "gold"}, 404, "unknown_tier"),
        ({}, 400, "invalid_request"),
        ({"tier": 5}, 400, "invalid_request"),
        ({"tier": "pro", "successUrl": "javascript:alert(1)"}, 400, "invalid_request"),
        ({"tier": "pro", "cancelUrl": "ftp://example.com"}, 400, "invalid_request"),
        ({"priceId": "price_not_ours"}, 404, "unknown_price"),
        ({"priceId": ""}, 400, "invalid_request"),
    ],
)
def test_checkout_input_errors(connected, body, status, code):
    response = checkout(connected, connected.end_user("e@example.com"), **body)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


def test_a_checkout_by_price_id_subscribes_to_that_tier_and_only_a_tiers_current_price_is_accepted(connected, bob):
    """The original's clients may send the Stripe price instead of the tier (its server took any price of the
    account); here it must be the current price of one of the project's tiers."""
    pro = Tier.objects.get(project=connected.project, mode="test", slug="pro")
    user = connected.end_user("by-price@example.com")
    response = checkout(connected, user, priceId=pro.stripe_price_id)
    assert response.status_code == 200, response.content
    account = StripeConnection.objects.get().account_id
    session = stripe_api._client("test").v1.checkout.sessions.retrieve(response.json()["sessionId"],
                                                                       options={"stripe_account": account})
    assert session.metadata["dreamapi_tier"] == "pro"
    mismatch = checkout(connected, user, tier="free", priceId=pro.stripe_price_id)
    assert (mismatch.status_code, mismatch.json()["code"]) == (400, "price_tier_mismatch")
    # Another project's key cannot use this project's price (it is not one of its tiers').
    outsider = bob.end_user("outsider@example.com")
    refused = checkout(bob, outsider, priceId=pro.stripe_price_id)
    assert (refused.status_code, refused.json()["code"]) == (404, "unknown_price")
    old_price = pro.stripe_price_id
    tier_update(tier=pro, price_cents=2900)
    archived = checkout(connected, connected.end_user("late@example.com"), priceId=old_price)
    assert (archived.status_code, archived.json()["code"]) == (404, "unknown_price")


def test_checkout_without_a_connected_account_is_409(alice):
    alice.project.tiers.create(mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=10)
    response = checkout(alice, alice.end_user(), tier="pro")
    assert response.status_code == 409 and response.json()["code"] == "stripe_not_connected"


def test_checkout_for_the_tier_the_user_is_on_is_409(connected):
    user = connected.end_user("already@example.com", plan="pro")
    response = checkout(connected, user, tier="pro")
    assert response.status_code == 409 and response.json()["code"] == "already_on_tier"


def test_a_portal_before_any_checkout_is_409(connected):
    user = connected.end_user("never@example.com")
    response = connected.api(HTTP_X_USER_ID=user.public_id).post("/api/customer-portal", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "no_billing_account"


def test_project_a_key_cannot_start_a_checkout_or_portal_for_project_b_users(connected, bob):
    victim = connected.end_user("victim@example.com")
    for path, body in (("/api/create-checkout", {"tier": "pro"}), ("/api/customer-portal", {})):
        response = bob.api(HTTP_X_USER_ID=victim.public_id).post(path, body, format="json")
        assert response.status_code == 404, path
        assert response.json()["code"] == "end_user_not_found"
    assert not BillingCustomer.objects.exists()


def test_promote_shows_the_changes_then_copies_tiers_to_live(client, connected, standin):
    client.force_login(connected.user)
    page = client.get(f"/dashboard/projects/{connected.project.public_id}/promote/").content.decode()
    assert "pro" in page and "create" in page
    assert not Tier.objects.filter(mode="live", slug="pro").exists()  # nothing changed by looking
    connect_stripe(client, connected.project, standin, mode="live")
    response = client.post(f"/dashboard/projects/{connected.project.public_id}/promote/")
    assert response.status_code == 302
    live = Tier.objects.get(project=connected.project, mode="live", slug="pro")
    test = Tier.objects.get(project=connected.project, mode="test", slug="pro")
    assert (live.price_cents, live.monthly_limit, live.name) == (test.price_cents, test.monthly_limit, test.name)
    assert live.stripe_price_id.startswith("price_") and live.stripe_price_id != test.stripe_price_id
    page = client.get(f"/dashboard/projects/{connected.project.public_id}/promote/").content.decode()
    assert "Live mode already matches test mode" in page


@pytest.mark.parametrize("path", ["stripe/events/", "promote/", "stripe/disconnect/?mode=test"])
def test_billing_pages_are_404_for_another_developer(client, connected, bob, path):
    client.force_login(bob.user)
    assert client.get(f"/dashboard/projects/{connected.project.public_id}/{path}").status_code == 404
    assert client.post(f"/dashboard/projects/{connected.project.public_id}/stripe/connect/",
                       {"mode": "test"}).status_code == 404
