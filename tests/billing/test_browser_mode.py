"""Browser mode end to end: a page holding only the publishable key and the end user's token
upgrades through Checkout and opens the portal (the stand-in plays Stripe)."""

import pytest
from rest_framework.test import APIClient

from billing.services import tier_create
from signup.tokens import end_user_token_issue
from tenants.models import EndUser

from .conftest import connect_stripe, pay, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

APP = "https://app.example.com"


def test_a_browser_upgrades_and_opens_the_portal_with_the_publishable_key(client, alice, standin):
    client.force_login(alice.user)
    connect_stripe(client, alice.project, standin)
    tier_create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=1900, monthly_limit=1000)
    alice.project.allowed_origins = [APP]
    alice.project.save()
    user = alice.end_user("browser@example.com")
    browser = APIClient()
    browser.credentials(HTTP_X_PUBLISHABLE_KEY=alice.pk, HTTP_X_CLERK_TOKEN=end_user_token_issue(end_user=user).token,
                        HTTP_ORIGIN=APP)

    response = browser.post("/api/create-checkout", {"tier": "pro", "successUrl": f"{APP}/ok",
                                                     "cancelUrl": f"{APP}/pricing"}, format="json")
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == APP
    assert set(response.json()) == {"url", "sessionId"}
    paid = pay(response.json()["url"])
    assert paid.headers["Location"].startswith(f"{APP}/ok")
    wait_until(lambda: EndUser.objects.select_related("tier").get(pk=user.pk).tier.slug == "pro")

    portal = browser.post("/api/customer-portal", {"returnUrl": f"{APP}/account"}, format="json")
    assert portal.status_code == 200, portal.content
    assert set(portal.json()) == {"url"} and portal["Access-Control-Allow-Origin"] == APP
    assert browser.get("/api/usage").json()["plan"] == "pro"
