"""The tier form's trial fields (and the API's) and the plan page before any subscription; the
plan page's trial, grace and billing states are checked along the journeys through Stripe in
tests/billing/test_platform_plan.py."""

import pytest

from billing.models import PlatformPlan, Tier

pytestmark = pytest.mark.django_db

TIER = {"slug": "pro", "name": "Pro", "price_cents": 900, "currency": "usd", "interval": "month", "order": 1,
        "mode": "test"}


@pytest.fixture
def alice_browser(client, alice):
    client.force_login(alice.user)
    return client


def test_a_tier_gets_a_trial_with_or_without_a_card(alice_browser, alice):
    base = f"/dashboard/projects/{alice.project.public_id}/tiers"
    form = alice_browser.get(f"{base}/new/?mode=test").content.decode()
    assert 'name="trial_days"' in form and 'name="trial_requires_card"' in form and "checked" in form
    response = alice_browser.post(f"{base}/new/?mode=test", {**TIER, "trial_days": 14, "trial_requires_card": "on"})
    assert response.status_code == 302
    tier = Tier.objects.get(project=alice.project, mode="test", slug="pro")
    assert (tier.trial_days, tier.trial_requires_card) == (14, True)
    alice_browser.post(f"{base}/pro/?mode=test", {**TIER, "trial_days": 7})  # the box unticked: no card
    tier.refresh_from_db()
    assert (tier.trial_days, tier.trial_requires_card) == (7, False)
    edit = alice_browser.get(f"{base}/pro/?mode=test").content.decode()
    assert 'name="trial_days" value="7"' in edit


def test_trial_days_are_checked(alice_browser, alice):
    base = f"/dashboard/projects/{alice.project.public_id}/tiers"
    page = alice_browser.post(f"{base}/new/?mode=test", {**TIER, "trial_days": 731}).content.decode()
    assert "less than or equal to 730" in page
    page = alice_browser.post(f"{base}/new/?mode=test", {**TIER, "slug": "gratis", "price_cents": 0,
                                                         "trial_days": 5}).content.decode()
    assert "a free tier has nothing to try" in page
    assert not Tier.objects.filter(project=alice.project, slug__in=["pro", "gratis"]).exists()


def test_an_outsider_cannot_edit_anothers_tier_trial(client, alice, bob):
    Tier.objects.create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=900, trial_days=3)
    client.force_login(bob.user)
    response = client.post(f"/dashboard/projects/{alice.project.public_id}/tiers/pro/?mode=test",
                           {**TIER, "trial_days": 30})
    assert response.status_code == 404
    assert Tier.objects.get(project=alice.project, slug="pro").trial_days == 3


def test_the_api_manages_trial_fields_with_the_dashboards_rules(alice, bob):
    created = alice.api().post("/api/tiers", {"name": "pro", "price": 900, "trialDays": 10,
                                              "trialRequiresCard": False}, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["tier"]["trialDays"], created.json()["tier"]["trialRequiresCard"]) == (10, False)
    bad = alice.api().patch("/api/tiers/pro", {"trialDays": -1}, format="json")
    assert bad.status_code == 400 and "trialDays" in bad.json()["fields"]
    bad = alice.api().patch("/api/tiers/pro", {"trialRequiresCard": "yes"}, format="json")
    assert bad.status_code == 400 and "trialRequiresCard" in bad.json()["fields"]
    free = alice.api().patch("/api/tiers/pro", {"price": 0}, format="json")
    assert (free.status_code, free.json()["code"]) == (400, "invalid_trial")
    assert alice.api().patch("/api/tiers/pro", {"trialDays": 0}, format="json").json()["tier"]["trialDays"] == 0
    outsider = bob.api().patch("/api/tiers/pro", {"trialDays": 99}, format="json")
    assert outsider.status_code == 404 and Tier.objects.get(project=alice.project, slug="pro").trial_days == 0


def test_the_plan_page_offers_the_trial_once(alice_browser, alice):
    page = alice_browser.get("/dashboard/plan/").content.decode()
    assert "Start your 14-day free trial (no card needed)" in page and "Subscribe with Stripe" in page
    assert "Billing: invoices and card" not in page  # no billing account yet
    PlatformPlan.objects.filter(platform=alice.platform).update(trial_used=True)
    assert "Start your 14-day free trial" not in alice_browser.get("/dashboard/plan/").content.decode()
