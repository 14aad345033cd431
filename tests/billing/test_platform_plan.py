"""The developer's own plan, on the platform's Stripe account, kept in sync by dj-stripe's
webhook endpoint: live keys are refused without it and accepted with it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tenants.models import Platform
from tests.production import PRODUCTION

from .conftest import pay, wait_until

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


def test_live_keys_stop_when_the_plan_ends(client, alice, platform_plan, standin):
    client.force_login(alice.user)
    pay(client.post("/dashboard/plan/")["Location"])
    wait_until(lambda: Platform.objects.get(pk=alice.platform.pk).paid_plan_active)
    from djstripe.models import Subscription

    subscription = Subscription.objects.get(customer__subscriber=alice.user)
    from billing import stripe_api

    stripe_api._client("test").v1.subscriptions.cancel(subscription.id)
    wait_until(lambda: not Platform.objects.get(pk=alice.platform.pk).paid_plan_active)
    assert live_call(alice).status_code == 403


def test_subscribing_twice_is_refused(client, alice, platform_plan, standin):
    client.force_login(alice.user)
    pay(client.post("/dashboard/plan/")["Location"])
    wait_until(lambda: Platform.objects.get(pk=alice.platform.pk).paid_plan_active)
    response = client.post("/dashboard/plan/", follow=True)
    assert "already active" in response.content.decode()


def test_a_test_mode_subscription_never_counts_when_the_platform_bills_in_live_mode(client, alice, platform_plan,
                                                                                    settings):
    client.force_login(alice.user)
    pay(client.post("/dashboard/plan/")["Location"])  # the stand-in's test mode: a test card
    wait_until(lambda: Platform.objects.get(pk=alice.platform.pk).paid_plan_active)
    from billing.services.platform_plan import platform_plan_active, platform_plan_refresh

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
