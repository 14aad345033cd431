"""Customer portal configurations: a session needs one (named, or the account's default), and the
hosted portal offers only what its configuration enables."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from stripe_standin import StandinServer

from .conftest import make_client
from .test_checkout_and_billing import _monthly_price, subscribe


def _features(*prices: stripe.Price, cancel_mode: str = "at_period_end") -> dict[str, Any]:
    return {
        "subscription_cancel": {"enabled": True, "mode": cancel_mode},
        "invoice_history": {"enabled": True},
        "subscription_update": {"enabled": True, "default_allowed_updates": ["price"],
                                "products": [{"product": p.product, "prices": [p.id]} for p in prices]},
    }


def test_a_session_without_configuration_needs_the_accounts_default(client: stripe.StripeClient,
                                                                     standin: StandinServer,
                                                                     connected_account: str) -> None:
    options: Any = {"stripe_account": connected_account}
    customer = client.v1.customers.create(params={"email": "c@example.com"}, options=options)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.billing_portal.sessions.create(params={"customer": customer.id}, options=options)
    assert str(info.value.user_message).startswith(
        "No configuration provided and your test mode default configuration has not been created.")
    assert "https://dashboard.stripe.com/test/settings/billing/portal" in str(info.value.user_message)
    # A configuration created through the API is never the default ...
    config = client.v1.billing_portal.configurations.create(params={"features": {"invoice_history": {
        "enabled": True}}}, options=options)
    assert config.is_default is False and config.active is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.billing_portal.sessions.create(params={"customer": customer.id}, options=options)
    # ... but naming it works, and so does the default once the owner saves settings in the Dashboard.
    session = client.v1.billing_portal.sessions.create(params={"customer": customer.id, "configuration": config.id},
                                                       options=options)
    assert session.configuration == config.id
    default = standin.account_owner(connected_account, "/portal_default")
    session = client.v1.billing_portal.sessions.create(params={"customer": customer.id}, options=options)
    assert session.configuration == default["id"]
    # Test and live mode keep separate defaults, as on Stripe.
    live = make_client(standin, "sk_live_standin_tests")
    live_customer = live.v1.customers.create(params={"email": "l@example.com"}, options=options)
    with pytest.raises(stripe.InvalidRequestError) as info:
        live.v1.billing_portal.sessions.create(params={"customer": live_customer.id}, options=options)
    assert "your live mode default configuration" in str(info.value.user_message)


def test_configurations_can_be_created_updated_retrieved_and_listed(client: stripe.StripeClient) -> None:
    pro, team = _monthly_price(client), _monthly_price(client, name="Team", amount=4900)
    config = client.v1.billing_portal.configurations.create(params={
        "features": _features(pro), "business_profile": {"headline": "Acme billing"}, "metadata": {"p": "1"}})
    products = config.features.subscription_update.products
    assert [(p.product, p.prices) for p in products] == [(pro.product, [pro.id])]
    assert config.features.subscription_cancel.mode == "at_period_end"
    assert config.features.payment_method_update.enabled is False  # left out: off, as on Stripe
    updated = client.v1.billing_portal.configurations.update(config.id, params={
        "features": {"subscription_update": {"products": [{"product": p.product, "prices": [p.id]}
                                                          for p in (pro, team)]}}})
    assert [p.product for p in updated.features.subscription_update.products] == [pro.product, team.product]
    assert updated.features.invoice_history.enabled is True  # untouched features keep their values
    assert client.v1.billing_portal.configurations.retrieve(config.id).business_profile.headline == "Acme billing"
    assert [c.id for c in client.v1.billing_portal.configurations.list(params={"is_default": False}).data] \
        == [config.id]
    client.v1.billing_portal.configurations.update(config.id, params={"active": False})
    assert client.v1.billing_portal.configurations.list(params={"active": True}).data == []


@pytest.mark.parametrize("features,param", [
    ({"subscription_update": {"enabled": True, "default_allowed_updates": ["price"]}},
     "features[subscription_update][products]"),
    ({"subscription_cancel": {"enabled": True, "proration_behavior": "always_invoice"}},
     "features[subscription_cancel][proration_behavior]"),
    ({"subscription_cancel": {"enabled": True, "mode": "at_period_end", "proration_behavior": "create_prorations"}},
     "features[subscription_cancel][proration_behavior]"),
    ({"bogus": {"enabled": True}}, "features[bogus]"),
])
def test_invalid_configurations_are_refused(client: stripe.StripeClient, features: dict, param: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.billing_portal.configurations.create(params={"features": features})
    assert info.value.param == param


def test_a_listed_price_must_belong_to_the_listed_product(client: stripe.StripeClient) -> None:
    pro, team = _monthly_price(client), _monthly_price(client, name="Team")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.billing_portal.configurations.create(params={"features": {"subscription_update": {
            "enabled": True, "default_allowed_updates": ["price"],
            "products": [{"product": pro.product, "prices": [team.id]}]}}})
    assert info.value.param == "features[subscription_update][products][0][prices][0]"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.billing_portal.configurations.create(params={"features": {"subscription_update": {
            "enabled": True, "default_allowed_updates": ["price"],
            "products": [{"product": "prod_nope", "prices": [pro.id]}]}}})
    assert info.value.code == "resource_missing"


def test_the_portal_page_offers_only_what_the_configuration_enables(client: stripe.StripeClient,
                                                                    standin: StandinServer) -> None:
    pro = _monthly_price(client)
    team = _monthly_price(client, name="Team", amount=4900)
    other = _monthly_price(client, name="Not for sale here", amount=9900)
    sub = subscribe(client, price=pro)
    config = client.v1.billing_portal.configurations.create(params={"features": _features(pro, team)})
    url = client.v1.billing_portal.sessions.create(params={"customer": sub.customer, "configuration": config.id}).url
    page = requests.get(url).text
    assert f'value="{team.id}"' in page and f'value="{other.id}"' not in page
    assert "Cancel at period end" in page and "Cancel now" not in page
    assert "Invoice history" in page and "Payment method" not in page
    base = f"{url}/subscriptions/{sub.id}"
    # Posting what the page does not offer is refused and changes nothing.
    assert requests.post(f"{base}/switch", data={"price": other.id}, allow_redirects=False).status_code == 400
    assert requests.post(f"{base}/cancel_now", allow_redirects=False).status_code == 403
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    assert requests.post(f"{base}/switch", data={"price": team.id}, allow_redirects=False).status_code == 303
    assert client.v1.subscriptions.retrieve(sub.id)["items"].data[0].price.id == team.id
    # Switching off in the configuration takes the selector away.
    client.v1.billing_portal.configurations.update(config.id, params={"features": {"subscription_update": {
        "enabled": False}}})
    assert "Switch plan" not in requests.get(url).text
