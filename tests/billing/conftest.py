"""The local Stripe stand-in, started once per session, and browser-like helpers to use its
hosted pages (OAuth consent, Checkout, the billing portal) the way a person would."""

from __future__ import annotations

import re
import time
from html import unescape
from urllib.parse import urlsplit

import pytest
import requests

from billing import stripe_api
from stripe_standin import StandinServer

CONNECT_SECRET = "whsec_test_connect_secret"


@pytest.fixture(scope="session")
def standin_server():
    server = StandinServer(port=0, quiet=True, webhook_retry_delays=(0.2, 0.5, 1.0))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def standin(standin_server, settings, live_server):
    """The stand-in, emptied, with Connect webhooks going to this test's live server."""
    standin_server.reset()
    standin_server.hold_webhooks(False)
    standin_server.configure(
        connect_webhook_url=f"{live_server.url}/webhook/stripe",
        connect_webhook_secret=CONNECT_SECRET,
        public_base=standin_server.url,
    )
    settings.STRIPE_API_BASE = standin_server.url
    settings.STRIPE_CONNECT_WEBHOOK_SECRETS = [CONNECT_SECRET]
    settings.SITE_URL = live_server.url
    stripe_api.reset_clients()
    stripe_api.configure_globals()
    yield standin_server
    standin_server.wait_for_webhooks(5)
    # Events a test left held are dropped, not delivered while its database is being flushed (a
    # late delivery deadlocked the flush, or reached the next test's database).
    standin_server.reset()
    standin_server.hold_webhooks(False)
    stripe_api.reset_clients()


@pytest.fixture
def shop(client, alice, standin):
    """Alice logged in, her project connected to a stand-in account (``alice.account``) and a paid
    ``pro`` tier (9.00 USD a month)."""
    from billing.services import tier_create

    client.force_login(alice.user)
    alice.account = connect_stripe(client, alice.project, standin)
    tier_create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=500)
    return alice


def hidden_inputs(html: str) -> dict[str, str]:
    return {unescape(n): unescape(v) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)}


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def connect_stripe(client, project, standin, mode: str = "test", **consent: str) -> str:
    """Click "Connect Stripe" in the dashboard, approve on the stand-in's consent page (with any
    extra ``consent`` fields, e.g. ``skip_onboarding="1"``), follow the redirect back. Returns the
    connected account id."""
    response = client.post(f"/dashboard/projects/{project.public_id}/stripe/connect/", {"mode": mode})
    assert response.status_code == 302, response.content
    authorize = response["Location"]
    assert authorize.startswith(f"{standin.url}/oauth/authorize?")
    page = requests.get(authorize, timeout=5)
    assert page.status_code == 200
    form = hidden_inputs(page.text) | {"decision": "allow", "business_name": "Alice Inc", "email": "alice@example.com",
                                       **consent}
    approved = requests.post(f"{standin.url}/oauth/authorize", data=form, allow_redirects=False, timeout=5)
    assert approved.status_code in (302, 303), approved.text
    callback = client.get(local_path(approved.headers["Location"]))
    assert callback.status_code == 302
    connection = project.stripe_connections.get(mode=mode, disconnected_at__isnull=True)
    return connection.account_id


def pay(checkout_url: str) -> requests.Response:
    """Open the hosted checkout page and press Pay."""
    page = requests.get(checkout_url, timeout=5)
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]+/pay)"', page.text).group(1)
    return requests.post(f"{checkout_url.split('/checkout/')[0]}{unescape(action)}", data={"email": "payer@example.com"},
                         allow_redirects=False, timeout=5)


def portal_click(portal_url: str, action: str, **form: str) -> requests.Response:
    page = requests.get(portal_url, timeout=5)
    assert page.status_code == 200, page.text
    actions = [unescape(a) for a in re.findall(r'<form[^>]*method="post" action="([^"]+)"', page.text)]
    target = next(a for a in actions if a.endswith(f"/{action}"))
    base = portal_url.split("/portal/")[0]
    return requests.post(f"{base}{target}", data=form, allow_redirects=False, timeout=5)


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")
