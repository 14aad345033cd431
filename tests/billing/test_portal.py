"""The customer portal configuration each connected account gets from the project's tiers, and the
portal sessions that use it."""

from __future__ import annotations

import pytest
import requests

from billing import stripe_api
from billing.models import StripeConnection, Tier
from billing.services import tier_create, tier_delete, tier_update
from tenants.models import EndUser

from .conftest import connect_stripe, pay, portal_click, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def configuration(connection: StripeConnection):
    return stripe_api._client(connection.mode).v1.billing_portal.configurations.retrieve(
        connection.portal_configuration_id, options={"stripe_account": connection.account_id})


def listed(connection: StripeConnection) -> dict[str, list[str]]:
    update = configuration(connection).features.subscription_update
    return {p.product: list(p.prices) for p in update.products} if update.enabled else {}


@pytest.fixture
def connected(client, alice, standin):
    tier_create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=500)
    client.force_login(alice.user)
    connect_stripe(client, alice.project, standin)
    tier_create(project=alice.project, mode="test", slug="team", name="Team", price_cents=4900, monthly_limit=5000)
    return alice


def test_connecting_creates_a_configuration_from_the_tiers_and_tier_changes_keep_it_current(connected):
    connection = StripeConnection.objects.get(disconnected_at__isnull=True)
    pro, team = (Tier.objects.get(project=connected.project, mode="test", slug=s) for s in ("pro", "team"))
    assert connection.portal_configuration_id.startswith("bpc_")
    config = configuration(connection)
    assert config.features.subscription_cancel.enabled and config.features.subscription_cancel.mode == "at_period_end"
    assert config.features.invoice_history.enabled and config.features.payment_method_update.enabled
    assert config.features.subscription_update.default_allowed_updates == ["price"]
    assert listed(connection) == {pro.stripe_product_id: [pro.stripe_price_id],
                                  team.stripe_product_id: [team.stripe_price_id]}

    tier_update(tier=team, price_cents=5900)  # a new price replaces the old one in the portal
    team.refresh_from_db()
    assert listed(connection)[team.stripe_product_id] == [team.stripe_price_id]
    tier_update(tier=pro, price_cents=0)  # made free: archived, and nobody can switch to it
    pro.refresh_from_db()
    assert pro.stripe_price_id == "" and pro.prices.get().active is False
    assert list(listed(connection)) == [team.stripe_product_id]
    tier_delete(tier=team)
    assert listed(connection) == {}
    assert configuration(connection).features.subscription_update.enabled is False
    assert StripeConnection.objects.get(pk=connection.pk).portal_configuration_id == connection.portal_configuration_id


def test_the_portal_offers_the_projects_tiers_and_a_switch_changes_the_plan(connected, standin):
    connection = StripeConnection.objects.get(disconnected_at__isnull=True)
    # The developer sells something else on the same account: the portal must not offer it.
    other = stripe_api._client("test").v1.prices.create(
        {"product_data": {"name": "Consulting"}, "unit_amount": 50000, "currency": "usd",
         "recurring": {"interval": "month"}}, {"stripe_account": connection.account_id})
    user = connected.end_user("switcher@example.com")
    api = connected.api(HTTP_X_USER_ID=user.public_id)
    assert pay(api.post("/api/create-checkout", {"tier": "pro"}, format="json").json()["url"]).status_code == 303
    wait_until(lambda: EndUser.objects.get(pk=user.pk).tier.slug == "pro")

    response = api.post("/api/customer-portal", {"returnUrl": "https://app.example.com/account"}, format="json")
    assert response.status_code == 200, response.content
    portal_id = response.json()["url"].rsplit("/", 1)[1]
    session = standin.store.records[portal_id].obj
    assert session["configuration"] == connection.portal_configuration_id
    page = requests.get(response.json()["url"], timeout=5).text
    team = Tier.objects.get(project=connected.project, mode="test", slug="team")
    assert f'value="{team.stripe_price_id}"' in page and f'value="{other.id}"' not in page
    assert portal_click(response.json()["url"], "switch", price=team.stripe_price_id).status_code == 303
    wait_until(lambda: EndUser.objects.get(pk=user.pk).tier.slug == "team")


def test_a_connection_without_a_configuration_gets_one_when_the_portal_first_opens(connected, standin):
    connection = StripeConnection.objects.get(disconnected_at__isnull=True)
    user = connected.end_user("late@example.com")
    api = connected.api(HTTP_X_USER_ID=user.public_id)
    pay(api.post("/api/create-checkout", {"tier": "pro"}, format="json").json()["url"])
    wait_until(lambda: EndUser.objects.get(pk=user.pk).tier.slug == "pro")
    for stale in ("", "bpc_gone_from_stripe"):  # made before this existed, or lost on Stripe's side
        StripeConnection.objects.filter(pk=connection.pk).update(portal_configuration_id=stale)
        response = api.post("/api/customer-portal", {}, format="json")
        assert response.status_code == 200, response.content
        created = StripeConnection.objects.get(pk=connection.pk).portal_configuration_id
        assert created.startswith("bpc_") and created != connection.portal_configuration_id
        session = standin.store.records[response.json()["url"].rsplit("/", 1)[1]].obj
        assert session["configuration"] == created
