"""usage.threshold_reached and usage.limit_reached: detected from the count the hot path
returns, once per end user, period, feature and threshold, even under a burst; plus the other
events the platform sends (plan.changed, customer.deleted, subscription.past_due)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from billing.models import Subscription, Tier
from billing.services.subscriptions import end_user_plan_refresh
from tenants.models import EndUser
from tests.concurrency import run_at_once
from usage.features import FeatureInput, tier_features_set
from usage.models import UsageCounter
from webhooks.models import DeveloperEvent
from webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db


def hook(tenant, receiver, types, thresholds=None):
    return webhook_endpoint_create(project=tenant.project, mode="test", url=receiver.url, event_types=types,
                                   thresholds=thresholds)


def set_limit(tenant, limit):
    tenant.project.tiers.filter(slug="free", mode="test").update(monthly_limit=limit)


def events(receiver, type=None):
    found = [json.loads(r.body) for r in receiver.requests]
    return [e for e in found if type is None or e["type"] == type]


def track(tenant, user, body=None):
    client = tenant.api(HTTP_X_USER_ID=user.public_id)
    return client.post("/api/data", body, format="json") if body else client.post("/api/data")


def test_crossing_a_threshold_sends_it_once(alice, receiver, django_capture_on_commit_callbacks):
    set_limit(alice, 10)
    hook(alice, receiver, ["usage.threshold_reached"], thresholds=[50, 80])
    user = alice.end_user(external_id="app-1")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(9):
            track(alice, user)
    sent = events(receiver, "usage.threshold_reached")
    assert [e["data"]["threshold"] for e in sent] == [50, 80]
    assert sent[1]["data"] == {"userId": user.public_id, "externalId": "app-1", "plan": "free",
                               "feature": "api_calls", "threshold": 80, "usageCount": 8, "limit": 10,
                               "periodStart": sent[1]["data"]["periodStart"],
                               "periodEnd": sent[1]["data"]["periodEnd"]}


def test_one_amount_crossing_several_thresholds_sends_each(alice, receiver, django_capture_on_commit_callbacks):
    hook(alice, receiver, ["usage.threshold_reached", "usage.limit_reached"], thresholds=[25, 50, 100])
    user = alice.end_user()
    with django_capture_on_commit_callbacks(execute=True):
        track(alice, user, {"amount": 60})
        track(alice, user, {"amount": 40})
    assert [(e["type"], e["data"].get("threshold")) for e in events(receiver)] == [
        ("usage.threshold_reached", 25), ("usage.threshold_reached", 50),
        ("usage.threshold_reached", 100), ("usage.limit_reached", None)]


def test_a_threshold_fires_once_per_period_even_when_crossed_again(alice, receiver,
                                                                   django_capture_on_commit_callbacks):
    set_limit(alice, 10)
    hook(alice, receiver, ["usage.threshold_reached"], thresholds=[80])
    user = alice.end_user()
    start = datetime(2027, 3, 10, tzinfo=UTC)
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        for _ in range(8):
            track(alice, user)
        UsageCounter.objects.filter(end_user=user).update(count=5)  # e.g. a count carried over lower
        for _ in range(3):
            track(alice, user)
    assert len(events(receiver)) == 1
    with time_machine.travel(start + timedelta(days=31), tick=False), django_capture_on_commit_callbacks(execute=True):
        for _ in range(8):
            track(alice, user)
    assert [e["data"]["periodStart"] for e in events(receiver)] == ["2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z"]


def test_each_feature_has_its_own_thresholds(alice, receiver, django_capture_on_commit_callbacks):
    tier_features_set(tier=alice.project.tiers.get(slug="free", mode="test"),
                      features=[FeatureInput(key="exports", kind="metered", limit=5)])
    hook(alice, receiver, ["usage.threshold_reached", "usage.limit_reached"], thresholds=[80])
    user = alice.end_user()
    with django_capture_on_commit_callbacks(execute=True):
        track(alice, user, {"feature": "exports", "amount": 4})
        track(alice, user, {"feature": "exports"})
        track(alice, user, {"amount": 79})
    assert [(e["type"], e["data"]["feature"]) for e in events(receiver)] == [
        ("usage.threshold_reached", "exports"), ("usage.limit_reached", "exports")]


def test_endpoints_get_only_the_thresholds_they_chose(alice, receiver, django_capture_on_commit_callbacks):
    set_limit(alice, 10)
    at_50 = hook(alice, receiver, ["usage.threshold_reached"], thresholds=[50])
    hook(alice, receiver, ["usage.threshold_reached"], thresholds=[90])
    user = alice.end_user()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            track(alice, user)
    assert len(receiver.requests) == 1
    assert DeveloperEvent.objects.get().deliveries.get().endpoint == at_50


def test_an_unlimited_meter_and_a_call_crossing_nothing_cost_no_extra_query(alice, receiver,
                                                                            django_assert_num_queries):
    set_limit(alice, 1000)
    hook(alice, receiver, ["usage.threshold_reached", "usage.limit_reached"], thresholds=[80, 100])
    user = alice.end_user()
    client = alice.api(HTTP_X_USER_ID=user.public_id)
    client.post("/api/data")  # warms the key cache
    with django_assert_num_queries(1):  # 2 of 1000: no whole percent crossed
        assert client.post("/api/data").status_code == 200
    UsageCounter.objects.filter(end_user=user).update(count=9)
    client.post("/api/data")  # 1 %: consults the subscriptions (cached from now on)
    UsageCounter.objects.filter(end_user=user).update(count=19)
    with django_assert_num_queries(1):  # 2 %: crosses a percent, but no threshold; subscriptions cached
        assert client.post("/api/data").status_code == 200
    set_limit(alice, None)
    with django_assert_num_queries(1):
        assert client.post("/api/data").status_code == 200
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_a_burst_across_80_percent_fires_exactly_one_event(alice, receiver):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent writers")
    alice.project.rate_limit_per_minute = 10_000
    alice.project.save()
    set_limit(alice, 100)
    hook(alice, receiver, ["usage.threshold_reached"], thresholds=[80])
    user = alice.end_user()
    UsageCounter.objects.create(end_user=user, period_start=timezone.now().replace(
        day=1, hour=0, minute=0, second=0, microsecond=0), period_end=timezone.now() + timedelta(days=40), count=70)

    def call(_):
        return Client().post("/api/data", HTTP_AUTHORIZATION=f"Bearer {alice.sk}",
                             HTTP_X_USER_ID=user.public_id).status_code

    statuses = run_at_once(call, range(32))
    assert sorted(statuses) == [200] * 30 + [403] * 2
    assert UsageCounter.objects.get(end_user=user).count == 100
    assert DeveloperEvent.objects.filter(type="usage.threshold_reached").count() == 1
    assert [e["data"]["usageCount"] for e in events(receiver)] == [80]


# --- the other events ---------------------------------------------------------------------------


def test_plan_changed_carries_the_new_entitlements(alice, receiver, django_capture_on_commit_callbacks):
    Tier.objects.create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=900,
                        monthly_limit=5000)
    hook(alice, receiver, ["plan.changed"])
    user = alice.end_user(external_id="app-2")
    with django_capture_on_commit_callbacks(execute=True):
        alice.api().patch(f"/api/customers/{user.public_id}", {"plan": "pro"}, format="json")
    assert events(receiver)[0]["data"] == {"userId": user.public_id, "externalId": "app-2", "previousPlan": "free",
                                           "plan": "pro", "entitlementVersion": 2,
                                           "features": {"api_calls": 5000}}


def test_customer_deleted_carries_the_customer_as_it_was(alice, receiver, django_capture_on_commit_callbacks):
    hook(alice, receiver, ["customer.deleted"])
    user = alice.end_user(external_id="app-3")
    with django_capture_on_commit_callbacks(execute=True):
        assert alice.api().delete(f"/api/customers/{user.public_id}").status_code == 200
    customer = events(receiver)[0]["data"]["customer"]
    assert (customer["id"], customer["externalId"], customer["email"]) == (user.public_id, "app-3", user.email)


def test_an_end_user_created_on_first_use_is_announced_once(alice, receiver, django_capture_on_commit_callbacks):
    hook(alice, receiver, ["customer.created"])
    client = alice.api(HTTP_X_USER_ID="first-use")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/data")
        client.post("/api/data")
    assert [e["data"]["customer"]["externalId"] for e in events(receiver)] == ["first-use"]


def test_a_past_due_subscription_is_announced_once_per_period(alice, receiver, django_capture_on_commit_callbacks):
    pro = Tier.objects.create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=900)
    hook(alice, receiver, ["subscription.past_due"])
    user = alice.end_user()
    now = timezone.now()
    Subscription.objects.create(end_user=user, account_id="acct_x", stripe_subscription_id="sub_due",
                                stripe_customer_id="cus_x", tier=pro, status="past_due",
                                current_period_start=now - timedelta(days=1), current_period_end=now + timedelta(days=29))
    with django_capture_on_commit_callbacks(execute=True):
        end_user_plan_refresh(end_user=EndUser.objects.get(pk=user.pk))
        end_user_plan_refresh(end_user=EndUser.objects.get(pk=user.pk))
    sent = events(receiver, "subscription.past_due")
    assert len(sent) == 1 and sent[0]["data"]["subscriptionId"] == "sub_due"
    assert sent[0]["data"]["plan"] == "pro"
