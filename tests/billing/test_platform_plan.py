"""The developer's own plan, on the platform's Stripe account, kept in sync by dj-stripe's
webhook endpoint: live keys are refused without it and accepted with it."""

import pytest
from django.core.management import call_command

from tenants.models import Platform

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
