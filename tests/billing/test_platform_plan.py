"""The developer's own plan, on the platform's Stripe account, kept in sync by dj-stripe's
webhook endpoint: live keys are refused without it and accepted with it."""

import os
import subprocess
import sys
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

import pytest
import requests
from django.core.management import call_command

from billing import stripe_api
from billing.models import PlatformPlan
from billing.services.platform_plan import platform_plan_active, platform_plan_refresh, platform_plans_expire
from tenants.models import Platform
from tests.production import PRODUCTION

from .conftest import pay, portal_click, wait_until

DAY = 86400

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def platform_plan(standin, live_server):
    call_command("platformplan_setup", site_url=live_server.url, stdout=open("/dev/null", "w"))


def live_call(tenant):
    return tenant.api(tenant.keys["live"]["secretKey"]).get("/api/tiers")


def test_live_keys_start_working_when_the_developer_subscribes(client, alice, platform_plan, standin):
    assert live_call(alice).status_code == 403
    client.force_login(alice.user)
    response = client.post("/dashboard/plan/")
    assert response.status_code == 302 and response["Location"].startswith(f"{standin.url}/checkout/")
    paid = pay(response["Location"])
    assert paid.status_code == 303 and "/dashboard/plan/?checkout=success" in paid.headers["Location"]
    wait_until(lambda: Platform.objects.get(pk=alice.platform.pk).paid_plan_active)
    assert live_call(alice).status_code == 200
    assert "Your plan is active" in client.get("/dashboard/plan/").content.decode()
    # Another developer is unaffected.
    assert not Platform.objects.exclude(pk=alice.platform.pk).filter(paid_plan_active=True).exists()


def _platform(tenant) -> Platform:
    return Platform.objects.get(pk=tenant.platform.pk)


def _subscription(tenant):
    from djstripe.models import Subscription

    return Subscription.objects.filter(customer__subscriber=tenant.user).order_by("-created").first()


def test_live_keys_stop_seven_days_after_the_plan_ends(client, alice, platform_plan, standin):
    client.force_login(alice.user)
    pay(client.post("/dashboard/plan/")["Location"])
    wait_until(lambda: _platform(alice).paid_plan_active)
    stripe_api._client("test").v1.subscriptions.cancel(_subscription(alice).id)
    wait_until(lambda: PlatformPlan.objects.filter(platform=alice.platform, status="canceled").exists())
    plan = PlatformPlan.objects.get(platform=alice.platform)
    assert plan.grace_ends_at == plan.grace_started_at + timedelta(days=7)
    assert live_call(alice).status_code == 200  # grace: the developer's app keeps working
    page = client.get("/dashboard/plan/").content.decode()
    assert "Live keys stop working on" in page and "subscribe again" in page
    assert platform_plans_expire(now=plan.grace_ends_at - timedelta(minutes=1)) == 0
    assert platform_plans_expire(now=plan.grace_ends_at + timedelta(minutes=1)) == 1
    assert _platform(alice).paid_plan_active is False
    assert live_call(alice).status_code == 403


def test_subscribing_twice_is_refused(client, alice, platform_plan, standin):
    client.force_login(alice.user)
    pay(client.post("/dashboard/plan/")["Location"])
    wait_until(lambda: Platform.objects.get(pk=alice.platform.pk).paid_plan_active)
    response = client.post("/dashboard/plan/", follow=True)
    assert "already have a plan" in response.content.decode()


def test_a_trial_opens_live_keys_without_a_card_and_its_end_without_one_starts_the_grace_period(
        client, alice, platform_plan, standin):
    assert live_call(alice).status_code == 403
    client.force_login(alice.user)
    assert "Start your 14-day free trial" in client.get("/dashboard/plan/").content.decode()
    checkout = client.post("/dashboard/plan/", {"action": "trial"})["Location"]
    page = requests.get(checkout, timeout=5).text
    assert "No card is needed today" in page and "Start trial" in page
    assert pay(checkout).status_code == 303
    wait_until(lambda: _platform(alice).paid_plan_active)
    assert live_call(alice).status_code == 200
    plan = PlatformPlan.objects.get(platform=alice.platform)
    assert (plan.status, plan.trial_used) == ("trialing", True)
    page = client.get("/dashboard/plan/").content.decode()
    assert "14 days left" in page and "Start your 14-day free trial" not in page
    assert "Billing: invoices and card" in page

    standin.advance_clock(15 * DAY)  # the trial ends without a card: Stripe cancels the subscription
    wait_until(lambda: PlatformPlan.objects.filter(platform=alice.platform, status="canceled").exists())
    plan = PlatformPlan.objects.get(platform=alice.platform)
    trial_end = datetime.fromtimestamp(_subscription(alice).stripe_data["trial_end"], tz=dt_timezone.utc)
    assert (plan.grace_started_at, plan.grace_ends_at) == (trial_end, trial_end + timedelta(days=7))
    assert live_call(alice).status_code == 200  # within the grace period (the stand-in's clock is ahead)
    page = client.get("/dashboard/plan/").content.decode()
    assert f"Live keys stop working on {plan.grace_ends_at:%-d %B %Y}" in page
    assert "Start your 14-day free trial" not in page  # once per developer
    refused = client.post("/dashboard/plan/", {"action": "trial"}, follow=True).content.decode()
    assert "free trial has been used" in refused

    assert platform_plans_expire(now=plan.grace_ends_at + timedelta(seconds=1)) == 1
    assert live_call(alice).status_code == 403
    assert _platform(alice).paid_plan_active is False


def test_a_card_added_in_the_billing_portal_pays_when_the_trial_ends(client, alice, platform_plan, standin):
    client.force_login(alice.user)
    pay(client.post("/dashboard/plan/", {"action": "trial"})["Location"])
    wait_until(lambda: _platform(alice).paid_plan_active)
    portal = client.post("/dashboard/plan/", {"action": "portal"})
    assert portal.status_code == 302 and portal["Location"].startswith(f"{standin.url}/portal/")
    page = requests.get(portal["Location"], timeout=5).text
    assert "Invoice history" in page and "No payment method on file" in page
    assert portal_click(portal["Location"], "payment_method").status_code == 303
    assert "Visa ending in 4242" in requests.get(portal["Location"], timeout=5).text
    standin.advance_clock(15 * DAY)
    wait_until(lambda: PlatformPlan.objects.filter(platform=alice.platform, status="active").exists())
    plan = PlatformPlan.objects.get(platform=alice.platform)
    assert plan.grace_ends_at is None and _platform(alice).paid_plan_active
    assert live_call(alice).status_code == 200


def test_a_failed_renewal_keeps_live_keys_for_the_grace_period_and_paying_restores_them(
        client, alice, platform_plan, standin):
    client.force_login(alice.user)
    pay(client.post("/dashboard/plan/")["Location"])
    wait_until(lambda: _platform(alice).paid_plan_active)
    failed = standin.fail_payment(_subscription(alice).id)
    wait_until(lambda: PlatformPlan.objects.filter(platform=alice.platform, status="past_due").exists())
    plan = PlatformPlan.objects.get(platform=alice.platform)
    assert plan.grace_ends_at is not None and live_call(alice).status_code == 200
    page = client.get("/dashboard/plan/").content.decode()
    assert "Your last payment failed" in page and f"{plan.grace_ends_at:%-d %B %Y}" in page
    first_seen = plan.grace_started_at
    platform_plan_refresh(user=alice.user)  # seen again: the grace period does not restart
    assert PlatformPlan.objects.get(platform=alice.platform).grace_started_at == first_seen

    assert platform_plans_expire(now=plan.grace_ends_at + timedelta(seconds=1)) == 1
    assert live_call(alice).status_code == 403

    stripe_api._client("test").v1.invoices.pay(failed["invoice"]["id"])  # paid at last (a retry, or the portal)
    wait_until(lambda: _platform(alice).paid_plan_active)
    assert PlatformPlan.objects.get(platform=alice.platform).grace_ends_at is None
    assert live_call(alice).status_code == 200


def test_the_billing_portal_needs_a_billing_account_and_serves_only_its_owner(client, alice, bob, platform_plan,
                                                                             standin):
    client.force_login(alice.user)
    response = client.post("/dashboard/plan/", {"action": "portal"}, follow=True)
    assert "no billing account yet" in response.content.decode()
    pay(client.post("/dashboard/plan/")["Location"])
    wait_until(lambda: _platform(alice).paid_plan_active)
    client.force_login(bob.user)
    assert "Billing: invoices and card" not in client.get("/dashboard/plan/").content.decode()
    assert "no billing account yet" in client.post("/dashboard/plan/", {"action": "portal"},
                                                   follow=True).content.decode()
    assert _platform(bob).paid_plan_active is False


def test_a_test_mode_subscription_never_counts_when_the_platform_bills_in_live_mode(client, alice, platform_plan,
                                                                                    settings):
    client.force_login(alice.user)
    pay(client.post("/dashboard/plan/")["Location"])  # the stand-in's test mode: a test card
    wait_until(lambda: Platform.objects.get(pk=alice.platform.pk).paid_plan_active)
    settings.STRIPE_LIVE_MODE = True  # as in production
    assert platform_plan_active(user=alice.user) is False
    assert platform_plan_refresh(user=alice.user) is False
    assert Platform.objects.get(pk=alice.platform.pk).paid_plan_active is False
    assert live_call(alice).status_code == 403
    settings.STRIPE_LIVE_MODE = False
    assert platform_plan_active(user=alice.user) is True


def _live_mode_setting(**env: str) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DREAMAPI_"))}
    result = subprocess.run(
        [sys.executable, "-c", "from dreamapi import settings; print(settings.STRIPE_LIVE_MODE)"],
        env={**base, **env}, cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()




def test_the_platform_bills_in_live_mode_in_production_and_test_mode_elsewhere():
    assert _live_mode_setting(**PRODUCTION) == "True"
    assert _live_mode_setting(**PRODUCTION, STRIPE_LIVE_MODE="false") == "False"  # still overridable
    assert _live_mode_setting() == "False"
    assert _live_mode_setting(STRIPE_LIVE_MODE="true") == "True"


def test_the_admin_shows_the_platforms_invoices_without_fields_stripe_removed(client, alice, platform_plan):
    client.force_login(alice.user)
    pay(client.post("/dashboard/plan/")["Location"])
    wait_until(lambda: Platform.objects.get(pk=alice.platform.pk).paid_plan_active)
    from django.contrib.auth import get_user_model
    from djstripe.models import Invoice, Subscription

    wait_until(lambda: Invoice.objects.exists())
    invoice = Invoice.objects.get()
    assert "paid" not in invoice.stripe_data  # as the pinned API version sends it
    operator = get_user_model().objects.create_superuser("ops", "ops@example.com", "ops-password-123")
    client.force_login(operator)
    for path in ("/admin/djstripe/invoice/", f"/admin/djstripe/invoice/{invoice.pk}/change/",
                 "/admin/djstripe/subscription/",
                 f"/admin/djstripe/subscription/{Subscription.objects.get().pk}/change/"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert invoice.id in client.get("/admin/djstripe/invoice/").content.decode()


def test_the_admin_lists_platform_plans_and_scheduled_changes(client, alice):
    from django.contrib.auth import get_user_model

    platform_plan_refresh(user=alice.user)
    operator = get_user_model().objects.create_superuser("ops", "ops@example.com", "ops-password-123")
    client.force_login(operator)
    for path in ("/admin/billing/platformplan/", "/admin/billing/subscription/"):
        assert client.get(path).status_code == 200
        assert client.get(path, {"q": "alice"}).status_code == 200
    plan = PlatformPlan.objects.get(platform=alice.platform)
    assert client.get(f"/admin/billing/platformplan/{plan.pk}/change/").status_code == 200
