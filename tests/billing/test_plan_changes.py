"""POST /api/change-plan and per-tier trials, over HTTP against the Stripe stand-in: upgrades now
with the prorated difference charged, downgrades at the period's end through a subscription
schedule, the default tier by cancelling at period end, pending changes withdrawn, trials with
and without a card, and the events billing announces to the developer's webhooks."""

from __future__ import annotations

import threading

import pytest
import requests
from django.db import connection
from rest_framework.test import APIClient

from billing.models import Subscription
from billing.services import tier_create
from signup.tokens import end_user_token_issue
from tenants.models import AuditEvent, EndUser
from tests.webhooks.receiver import receiver  # noqa: F401  (the HTTPS receiver fixture)
from webhooks.models import DeveloperEvent
from webhooks.services import webhook_endpoint_create

from .conftest import pay, portal_click, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

DAY = 86400
APP = "https://app.example.com"
RESPONSE_KEYS = {"success", "changed", "plan", "previousPlan", "pendingPlan", "effectiveAt", "amountCharged",
                 "currency", "invoiceId", "subscription"}


def plan_of(end_user) -> str:
    return EndUser.objects.select_related("tier").get(pk=end_user.pk).tier.slug


@pytest.fixture
def plans(shop):
    """``shop`` (pro, 9.00/month) plus basic (5.00/month) and team (29.00/month), all with limits."""
    tier_create(project=shop.project, mode="test", slug="basic", name="Basic", price_cents=500, monthly_limit=100)
    tier_create(project=shop.project, mode="test", slug="team", name="Team", price_cents=2900, monthly_limit=5000)
    return shop


class DeveloperEvents:
    """The developer events recorded for the project so far, as (end user id, type, data)."""

    def __init__(self, project):
        self.project = project

    def __iter__(self):
        rows = DeveloperEvent.objects.filter(project=self.project, mode="test").order_by("pk")
        return iter([(event.data.get("userId"), event.type, event.data) for event in rows])


@pytest.fixture
def events(plans, receiver):
    """What billing announced to the developer's webhook endpoint (a real HTTPS receiver)."""
    webhook_endpoint_create(project=plans.project, mode="test", url=receiver.url,
                            event_types=["plan.changed", "subscription.past_due", "trial.ending"])
    return DeveloperEvents(plans.project)


def subscribed(tenant, tier: str, email: str = "plan@example.com"):
    user = tenant.end_user(email)
    api = tenant.api(HTTP_X_USER_ID=user.public_id)
    pay(api.post("/api/create-checkout", {"tier": tier}, format="json").json()["url"])
    wait_until(lambda: plan_of(user) == tier and Subscription.objects.filter(end_user=user, status="active").exists())
    return user, api


def stripe_get(standin, account: str, path: str) -> dict:
    return requests.get(f"{standin.url}{path}", headers={"Authorization": "Bearer sk_test_x", "Stripe-Account": account},
                        timeout=5).json()


def test_an_upgrade_applies_now_charges_the_difference_and_keeps_the_usage(plans, standin, events):
    user, api = subscribed(plans, "basic")
    assert [api.post("/api/data").status_code for _ in range(3)] == [200] * 3
    standin.advance_clock(15 * DAY)
    response = api.post("/api/change-plan", {"tier": "pro"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == RESPONSE_KEYS
    assert (body["changed"], body["plan"], body["previousPlan"], body["pendingPlan"]) == ("now", "pro", "basic", None)
    assert 0 < body["amountCharged"] < 400 and body["currency"] == "usd" and body["invoiceId"].startswith("in_")
    assert body["subscription"]["status"] == "active" and body["subscription"]["cancelAtPeriodEnd"] is False
    invoice = stripe_get(standin, plans.account, f"/v1/invoices/{body['invoiceId']}")
    assert (invoice["billing_reason"], invoice["status"], invoice["amount_paid"]) == (
        "subscription_update", "paid", body["amountCharged"])
    usage = api.get("/api/usage").json()
    assert (usage["plan"], usage["limit"], usage["usageCount"]) == ("pro", 500, 3)  # same period, counts kept
    assert plan_of(user) == "pro"
    assert ("plan.changed", "pro", "basic") in [(t, d["plan"], d["previousPlan"]) for _, t, d in events
                                                if t == "plan.changed"]
    audit = AuditEvent.objects.get(action="end_user.plan_change", target=user.public_id)
    assert audit.changes["plan"] == ["basic", "pro"] and audit.actor_kind == "api_key"
    again = api.post("/api/change-plan", {"tier": "pro"}, format="json").json()
    assert (again["changed"], again["amountCharged"], again["invoiceId"]) == ("none", 0, None)


def test_a_yearly_upgrade_starts_a_new_period_now_and_carries_the_usage_over(plans, standin):
    tier_create(project=plans.project, mode="test", slug="pro-yearly", name="Pro yearly", price_cents=9000,
                interval="year", monthly_limit=800)
    user, api = subscribed(plans, "pro")
    assert [api.post("/api/data").status_code for _ in range(3)] == [200] * 3
    body = api.post("/api/change-plan", {"tier": "pro-yearly"}, format="json").json()
    assert (body["changed"], body["plan"]) == ("now", "pro-yearly")
    assert 8000 < body["amountCharged"] <= 9000  # the year, less the unused month
    end_user = EndUser.objects.get(pk=user.pk)
    assert (end_user.billing_period_end - end_user.billing_period_start).days >= 365
    usage = api.get("/api/usage").json()
    assert (usage["limit"], usage["usageCount"]) == (800, 3)  # the new period starts from the calls made
    # Back to monthly is a shorter interval: it waits for the end of the year.
    back = api.post("/api/change-plan", {"tier": "pro"}, format="json").json()
    assert (back["changed"], back["pendingPlan"]) == ("at_period_end", "pro")


def test_a_downgrade_waits_for_the_period_end_then_renews_on_the_lower_price(plans, standin, events):
    user, api = subscribed(plans, "team")
    api.post("/api/data")
    period_end = Subscription.objects.get(end_user=user).current_period_end
    response = api.post("/api/change-plan", {"tier": "basic"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["changed"], body["plan"], body["pendingPlan"], body["amountCharged"]) == (
        "at_period_end", "team", "basic", 0)
    assert body["effectiveAt"] == period_end.isoformat().replace("+00:00", "Z")
    subscription = Subscription.objects.get(end_user=user)
    assert subscription.stripe_schedule_id.startswith("sub_sched_") and subscription.scheduled_tier.slug == "basic"
    schedule = stripe_get(standin, plans.account, f"/v1/subscription_schedules/{subscription.stripe_schedule_id}")
    assert [p["items"][0]["price"] for p in schedule["phases"]] == [
        plans.project.tiers.get(slug="team", mode="test").stripe_price_id,
        plans.project.tiers.get(slug="basic", mode="test").stripe_price_id]
    assert plan_of(user) == "team" and api.get("/api/usage").json()["limit"] == 5000
    # The same request again is not a second schedule.
    assert api.post("/api/change-plan", {"tier": "basic"}, format="json").json()["changed"] == "at_period_end"

    standin.advance_clock(32 * DAY)
    wait_until(lambda: plan_of(user) == "basic")
    subscription = Subscription.objects.get(end_user=user)
    assert subscription.status == "active" and subscription.scheduled_tier is None
    invoice = stripe_get(standin, plans.account, f"/v1/invoices?subscription={subscription.stripe_subscription_id}")
    assert invoice["data"][0]["total"] == 500  # the renewal is on the lower price
    assert api.get("/api/usage").json()["limit"] == 100
    assert EndUser.objects.get(pk=user.pk).billing_period_start == period_end  # the lower plan's first period
    assert [(d["previousPlan"], d["plan"]) for _, t, d in events if t == "plan.changed"][-1] == ("team", "basic")


def test_the_current_tier_withdraws_a_pending_downgrade(plans, standin):
    user, api = subscribed(plans, "team")
    api.post("/api/change-plan", {"tier": "basic"}, format="json")
    back = api.post("/api/change-plan", {"tier": "team"}, format="json").json()
    assert (back["changed"], back["plan"], back["pendingPlan"]) == ("unscheduled", "team", None)
    subscription = Subscription.objects.get(end_user=user)
    assert subscription.stripe_schedule_id == "" and subscription.scheduled_tier is None
    standin.advance_clock(32 * DAY)
    wait_until(lambda: Subscription.objects.get(end_user=user).current_period_end > subscription.current_period_end)
    assert plan_of(user) == "team"


def test_a_downgrade_withdrawn_then_asked_again_is_scheduled_again(plans, standin):
    user, api = subscribed(plans, "team")
    first = api.post("/api/change-plan", {"tier": "basic"}, format="json").json()
    first_schedule = Subscription.objects.get(end_user=user).stripe_schedule_id
    assert api.post("/api/change-plan", {"tier": "team"}, format="json").json()["changed"] == "unscheduled"
    again = api.post("/api/change-plan", {"tier": "basic"}, format="json")
    assert again.status_code == 200, again.content
    assert (first["changed"], again.json()["changed"], again.json()["pendingPlan"]) == (
        "at_period_end", "at_period_end", "basic")
    schedule = Subscription.objects.get(end_user=user).stripe_schedule_id
    assert schedule and schedule != first_schedule
    assert stripe_get(standin, plans.account, f"/v1/subscription_schedules/{schedule}")["status"] == "active"


def test_changing_back_and_forth_during_a_trial_applies_every_change(plans, standin):
    plans.project.tiers.filter(slug="basic", mode="test").update(trial_days=10, trial_requires_card=False)
    user = plans.end_user("back-and-forth@example.com")
    api = plans.api(HTTP_X_USER_ID=user.public_id)
    pay(api.post("/api/create-checkout", {"tier": "basic"}, format="json").json()["url"])
    wait_until(lambda: plan_of(user) == "basic")
    answers = [api.post("/api/change-plan", {"tier": tier}, format="json").json()
               for tier in ("pro", "basic", "pro")]
    assert [(a["changed"], a["plan"]) for a in answers] == [("now", "pro"), ("now", "basic"), ("now", "pro")]
    sub = stripe_get(standin, plans.account,
                     f"/v1/subscriptions/{Subscription.objects.get(end_user=user).stripe_subscription_id}")
    assert sub["items"]["data"][0]["price"]["id"] == plans.project.tiers.get(slug="pro", mode="test").stripe_price_id
    assert sub["status"] == "trialing" and plan_of(user) == "pro"


def test_the_default_tier_cancels_at_period_end_and_can_be_withdrawn(plans, standin):
    user, api = subscribed(plans, "pro")
    body = api.post("/api/change-plan", {"tier": "free"}, format="json").json()
    assert (body["changed"], body["plan"], body["pendingPlan"]) == ("at_period_end", "pro", "free")
    assert body["subscription"]["cancelAtPeriodEnd"] is True
    back = api.post("/api/change-plan", {"tier": "pro"}, format="json").json()
    assert (back["changed"], back["subscription"]["cancelAtPeriodEnd"]) == ("unscheduled", False)
    api.post("/api/change-plan", {"tier": "free"}, format="json")
    standin.advance_clock(32 * DAY)
    wait_until(lambda: plan_of(user) == "free")
    assert Subscription.objects.get(end_user=user).status == "canceled"


def test_an_upgrade_drops_a_pending_downgrade_or_cancellation(plans, standin):
    user, api = subscribed(plans, "pro")
    api.post("/api/change-plan", {"tier": "free"}, format="json")
    body = api.post("/api/change-plan", {"tier": "team"}, format="json").json()
    assert (body["changed"], body["plan"], body["pendingPlan"], body["subscription"]["cancelAtPeriodEnd"]) == (
        "now", "team", None, False)
    api.post("/api/change-plan", {"tier": "basic"}, format="json")
    body = api.post("/api/change-plan", {"tier": "team"}, format="json").json()
    assert body["changed"] == "unscheduled"
    assert Subscription.objects.get(end_user=user).stripe_schedule_id == ""


def test_concurrent_changes_for_one_end_user_leave_one_schedule(plans, standin):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    user, _ = subscribed(plans, "team")
    answers: list[int] = []

    def change() -> None:
        answers.append(plans.api(HTTP_X_USER_ID=user.public_id).post("/api/change-plan", {"tier": "basic"},
                                                                     format="json").status_code)
        connection.close()

    threads = [threading.Thread(target=change) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 4
    subscription = Subscription.objects.get(end_user=user)
    schedules = stripe_get(standin, plans.account, f"/v1/subscription_schedules?customer={subscription.stripe_customer_id}")
    assert [s["status"] for s in schedules["data"]] == ["active"]


def test_bad_input_and_impossible_changes_are_clear_4xx(plans, standin):
    user, api = subscribed(plans, "pro")
    for body, field in [({}, "tier"), ({"tier": 5}, "tier"), ({"tier": "Not A Slug!"}, "tier"),
                        ({"tier": "pro", "extra": 1}, "extra")]:
        response = api.post("/api/change-plan", body, format="json")
        assert response.status_code == 400 and field in response.json()["fields"], response.content
    assert api.post("/api/change-plan", "[]", content_type="application/json").status_code == 400
    unknown = api.post("/api/change-plan", {"tier": "enterprise"}, format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_tier")
    tier_create(project=plans.project, mode="test", slug="partner", name="Partner", price_cents=0, monthly_limit=10)
    partner = api.post("/api/change-plan", {"tier": "partner"}, format="json")
    assert (partner.status_code, partner.json()["code"]) == (409, "free_tier_not_default")
    tier_create(project=plans.project, mode="test", slug="euro", name="Euro", price_cents=900, currency="eur",
                monthly_limit=10)
    euro = api.post("/api/change-plan", {"tier": "euro"}, format="json")
    assert (euro.status_code, euro.json()["code"]) == (409, "currency_mismatch")
    free_user = plans.end_user("free@example.com")
    free_api = plans.api(HTTP_X_USER_ID=free_user.public_id)
    checkout = free_api.post("/api/change-plan", {"tier": "pro"}, format="json")
    assert (checkout.status_code, checkout.json()["code"]) == (409, "checkout_required")
    assert free_api.post("/api/change-plan", {"tier": "free"}, format="json").json()["changed"] == "none"
    nobody = plans.api(HTTP_X_USER_ID="usr_doesnotexist").post("/api/change-plan", {"tier": "pro"}, format="json")
    assert (nobody.status_code, nobody.json()["code"]) == (404, "end_user_not_found")
    assert plan_of(user) == "pro" and plan_of(free_user) == "free"


def test_an_outsider_cannot_change_anothers_plan(plans, bob, standin):
    user, _ = subscribed(plans, "pro")
    bob_api = bob.api(HTTP_X_USER_ID=user.public_id)
    response = bob_api.post("/api/change-plan", {"tier": "team"}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "end_user_not_found")
    bob_token = APIClient()
    bob_token.credentials(HTTP_X_PUBLISHABLE_KEY=bob.pk, HTTP_X_USER_TOKEN=end_user_token_issue(end_user=user).token)
    assert bob_token.post("/api/change-plan", {"tier": "team"}, format="json").status_code == 401
    assert APIClient().post("/api/change-plan", {"tier": "team"}, format="json").status_code == 401
    assert plan_of(user) == "pro" and Subscription.objects.get(end_user=user).scheduled_tier is None


def test_a_browser_changes_the_plan_with_the_publishable_key_and_the_token(plans, standin):
    plans.project.allowed_origins = [APP]
    plans.project.save()
    user, _ = subscribed(plans, "basic")
    browser = APIClient()
    browser.credentials(HTTP_X_PUBLISHABLE_KEY=plans.pk, HTTP_X_CLERK_TOKEN=end_user_token_issue(end_user=user).token,
                        HTTP_ORIGIN=APP)
    response = browser.post("/api/change-plan", {"tier": "pro"}, format="json")
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == APP and response.json()["plan"] == "pro"
    by_id = APIClient()
    by_id.credentials(HTTP_X_PUBLISHABLE_KEY=plans.pk, HTTP_X_USER_ID=user.public_id)
    refused = by_id.post("/api/change-plan", {"tier": "team"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "user_token_required")


def test_the_portal_schedules_downgrades_like_the_api_and_billing_sees_it(plans, standin):
    user, api = subscribed(plans, "team")
    portal = api.post("/api/customer-portal", {}, format="json").json()["url"]
    basic = plans.project.tiers.get(slug="basic", mode="test")
    assert portal_click(portal, "switch", price=basic.stripe_price_id).status_code == 303
    wait_until(lambda: getattr(Subscription.objects.get(end_user=user).scheduled_tier, "slug", None) == "basic")
    assert plan_of(user) == "team"
    body = api.post("/api/change-plan", {"tier": "basic"}, format="json").json()
    assert (body["changed"], body["pendingPlan"]) == ("at_period_end", "basic")


def test_a_trial_with_a_card_counts_as_the_tier_and_warns_three_days_ahead(plans, standin, events):
    plans.project.tiers.filter(slug="pro", mode="test").update(trial_days=14)
    user = plans.end_user("trial@example.com")
    api = plans.api(HTTP_X_USER_ID=user.public_id)
    checkout = api.post("/api/create-checkout", {"tier": "pro"}, format="json").json()["url"]
    page = requests.get(checkout, timeout=5).text
    assert "Free trial until" in page and "No card is needed today" not in page
    pay(checkout)
    wait_until(lambda: plan_of(user) == "pro")
    subscription = Subscription.objects.get(end_user=user)
    assert subscription.status == "trialing" and subscription.trial_end is not None
    assert api.get("/api/usage").json()["limit"] == 500  # a trial counts as the tier
    standin.advance_clock(11 * DAY + 60)
    wait_until(lambda: any(t == "trial.ending" for _, t, _ in events))
    ending = next(d for _, t, d in events if t == "trial.ending")
    assert ending["plan"] == "pro" and ending["trialEnd"] == int(subscription.trial_end.timestamp())
    standin.advance_clock(4 * DAY)
    wait_until(lambda: Subscription.objects.get(end_user=user).status == "active")
    assert plan_of(user) == "pro"


def test_a_trial_without_a_card_ending_without_one_returns_to_the_default_tier(plans, standin, events):
    plans.project.tiers.filter(slug="pro", mode="test").update(trial_days=7, trial_requires_card=False)
    tiers = plans.api(plans.pk).get("/api/tiers").json()["tiers"]
    assert {t["id"]: (t["trialDays"], t["trialRequiresCard"]) for t in tiers}["pro"] == (7, False)
    user = plans.end_user("cardless@example.com")
    api = plans.api(HTTP_X_USER_ID=user.public_id)
    checkout = api.post("/api/create-checkout", {"tier": "pro"}, format="json").json()["url"]
    assert "No card is needed today" in requests.get(checkout, timeout=5).text
    pay(checkout)
    wait_until(lambda: plan_of(user) == "pro")
    assert Subscription.objects.get(end_user=user).status == "trialing"
    # Changing plan during the trial applies at once and the trial goes on (nothing was paid).
    body = api.post("/api/change-plan", {"tier": "basic"}, format="json").json()
    assert (body["changed"], body["plan"], body["amountCharged"]) == ("now", "basic", 0)
    assert body["subscription"]["status"] == "trialing" and body["subscription"]["trialEnd"]
    standin.advance_clock(8 * DAY)
    wait_until(lambda: plan_of(user) == "free")
    assert Subscription.objects.get(end_user=user).status == "canceled"
    assert [d["plan"] for _, t, d in events if t == "plan.changed"][-1] == "free"
    # The trial was used: a new checkout charges from the start.
    again = api.post("/api/create-checkout", {"tier": "pro"}, format="json").json()["url"]
    assert "Free trial until" not in requests.get(again, timeout=5).text


def test_a_failed_renewal_is_reported_as_past_due_once(plans, standin, events):
    user, _ = subscribed(plans, "pro")
    sub_id = Subscription.objects.get(end_user=user).stripe_subscription_id
    standin.fail_payment(sub_id)
    wait_until(lambda: Subscription.objects.get(end_user=user).status == "past_due")
    assert standin.wait_for_webhooks(10)
    past_due = [d for _, t, d in events if t == "subscription.past_due"]
    assert len(past_due) == 1 and past_due[0]["subscriptionId"] == sub_id
    assert past_due[0]["userId"] == user.public_id
    refused = plans.api(HTTP_X_USER_ID=user.public_id).post("/api/change-plan", {"tier": "team"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "subscription_past_due")
