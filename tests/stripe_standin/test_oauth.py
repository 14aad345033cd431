"""Connect OAuth: consent page -> code -> token -> deauthorize."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import stripe

from stripe_standin import StandinServer

from .conftest import CONNECT_SECRET, WebhookReceiver, make_client

CLIENT_ID = "ca_standin_platform"
REDIRECT = "https://platform.example/stripe/callback?next=%2Fdashboard"


def _authorize(client: stripe.StripeClient, decision: str = "allow", state: str = "st-123") -> dict[str, list[str]]:
    """Open the authorize page like a browser, submit its form, return the redirect's query."""
    authorize_url = client.oauth.authorize_url(
        params={"scope": "read_write", "state": state, "redirect_uri": REDIRECT,
                "stripe_user": {"email": "owner@shop.example"}})
    page = requests.get(authorize_url)
    assert page.status_code == 200
    assert "Connect a stand-in Stripe account" in page.text
    assert 'value="owner@shop.example"' in page.text  # stripe_user[email] prefills the form
    assert re.search(r'<label for="email">', page.text)
    form_action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    fields.update({"business_name": "Corner Shop", "email": "owner@shop.example", "decision": decision})
    response = requests.post(urlsplit(authorize_url)._replace(path=form_action, query="").geturl(), data=fields,
                             allow_redirects=False)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.geturl().startswith("https://platform.example/stripe/callback?")
    return parse_qs(location.query)


def test_oauth_connect_token_and_deauthorize(standin: StandinServer, receiver: WebhookReceiver) -> None:
    platform = make_client(standin, client_id=CLIENT_ID)
    query = _authorize(platform)
    assert query["state"] == ["st-123"] and query["next"] == ["/dashboard"] and query["scope"] == ["read_write"]
    code = query["code"][0]
    assert code.startswith("ac_")

    token = platform.oauth.token(params={"grant_type": "authorization_code", "code": code})
    account_id = token["stripe_user_id"]
    assert account_id.startswith("acct_")
    assert token["token_type"] == "bearer" and token["scope"] == "read_write" and token["livemode"] is False
    assert token["access_token"].startswith("sk_test_") and token["stripe_publishable_key"].startswith("pk_test_")

    # The platform acts on the new account with Stripe-Account ...
    account = platform.v1.accounts.retrieve(account_id)
    assert account.settings.dashboard.display_name == "Corner Shop" and account.email == "owner@shop.example"
    product = platform.v1.products.create(params={"name": "Bread"}, options={"stripe_account": account_id})
    # ... and the access token sees the same namespace as its own account.
    as_account = make_client(standin, token["access_token"])
    assert as_account.v1.accounts.retrieve_current().id == account_id
    assert [p.id for p in as_account.v1.products.list().data] == [product.id]

    # A code works once.
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        platform.oauth.token(params={"grant_type": "authorization_code", "code": code})
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        platform.oauth.token(params={"grant_type": "authorization_code", "code": "ac_unknown"})

    result = platform.oauth.deauthorize(params={"stripe_user_id": account_id})
    assert result["stripe_user_id"] == account_id
    with pytest.raises(stripe.PermissionError):
        platform.v1.products.list(options={"stripe_account": account_id})
    with pytest.raises(stripe.oauth_error.InvalidClientError):
        platform.oauth.deauthorize(params={"stripe_user_id": account_id})

    assert standin.wait_for_webhooks(5)
    connect_events = receiver.events("/connect")
    types = [e["type"] for e in connect_events]
    assert types == ["account.application.authorized", "product.created", "account.application.deauthorized"]
    assert all(e["account"] == account_id for e in connect_events)
    request = next(r for r in receiver.requests if r["path"] == "/connect")
    event = stripe.Webhook.construct_event(request["body"], request["headers"]["Stripe-Signature"], CONNECT_SECRET)
    assert event.type == "account.application.authorized"


def test_oauth_deny_redirects_with_error(standin: StandinServer) -> None:
    query = _authorize(make_client(standin, client_id=CLIENT_ID), decision="deny", state="s-9")
    assert query["error"] == ["access_denied"] and query["state"] == ["s-9"] and "code" not in query
    assert [a for a in requests.get(standin.url + "/_standin/accounts").json()["accounts"] if a["connected"]] == []


def test_oauth_authorize_requires_client_and_redirect(standin: StandinServer) -> None:
    assert requests.get(standin.url + "/oauth/authorize?response_type=code&client_id=ca_x").status_code == 400
    assert requests.get(standin.url + "/oauth/authorize?response_type=code"
                                      "&redirect_uri=https://x.example/cb").status_code == 400
    response = requests.post(standin.url + "/oauth/token", data={"grant_type": "authorization_code", "code": "ac_1"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
