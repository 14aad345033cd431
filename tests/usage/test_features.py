"""Features and meters: several limits per tier, {feature, amount} on POST /api/data,
GET /api/usage?feature= and GET /api/check."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client

from dreamapi.errors import ApiError
from tests.concurrency import run_at_once
from usage.features import FeatureInput, tier_features_set
from usage.models import FeatureCounter, TierFeature, UsageCounter
from usage.services import COUNTER_MAX, usage_carry_over

pytestmark = pytest.mark.django_db

USAGE_KEYS = {"userId", "plan", "usageCount", "count", "limit", "remaining", "periodStart", "periodEnd"}


def tier(tenant, slug="free"):
    return tenant.project.tiers.get(slug=slug, mode="test")


def features(tenant, slug="free", **spec):
    """exports=50 (metered), storage=None (unlimited), sso=True/False (boolean)."""
    given = [FeatureInput(key=k, kind="boolean", enabled=v) if isinstance(v, bool)
             else FeatureInput(key=k, kind="metered", limit=v) for k, v in spec.items()]
    return tier_features_set(tier=tier(tenant, slug), features=given)


def track(tenant, user, body=None, **headers):
    client = tenant.api(HTTP_X_USER_ID=user.public_id, **headers)
    return client.post("/api/data", body, format="json") if body is not None else client.post("/api/data")


@pytest.fixture
def pro(alice):
    alice.project.tiers.create(mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=1000)
    features(alice, "free", exports=2, sso=False)
    features(alice, "pro", exports=50, storage=None, sso=True, seats=5)
    return alice


def test_a_feature_counts_its_amount_all_or_nothing(pro):
    user = pro.end_user()
    first = track(pro, user, {"feature": "exports", "amount": 2})
    assert first.status_code == 200
    assert first.json()["usage"] == {"userId": user.public_id, "plan": "free", "usageCount": 2, "count": 2,
                                     "limit": 2, "remaining": 0, "feature": "exports",
                                     "periodStart": first.json()["usage"]["periodStart"],
                                     "periodEnd": first.json()["usage"]["periodEnd"]}
    refused = track(pro, user, {"feature": "exports"})
    assert refused.status_code == 403
    body = refused.json()
    assert (body["code"], body["feature"], body["usageCount"], body["limit"]) == ("tier_limit_reached", "exports", 2, 2)
    assert body["usage"]["feature"] == "exports"
    assert FeatureCounter.objects.get(end_user=user, feature="exports").count == 2
    assert not UsageCounter.objects.filter(end_user=user).exists()  # the default meter is another counter


def test_an_amount_that_does_not_fit_counts_nothing(pro):
    user = pro.end_user()
    pro.api().patch(f"/api/customers/{user.public_id}", {"plan": "pro"}, format="json")
    assert track(pro, user, {"feature": "exports", "amount": 45}).status_code == 200
    refused = track(pro, user, {"feature": "exports", "amount": 6})
    assert refused.status_code == 403 and refused.json()["usage"]["remaining"] == 5
    assert track(pro, user, {"feature": "exports", "amount": 5}).json()["usage"]["remaining"] == 0


def test_the_default_meter_takes_an_amount_and_keeps_its_shape(pro):
    user = pro.end_user()
    response = track(pro, user, {"amount": 30})
    assert set(response.json()["usage"]) == USAGE_KEYS
    assert response.json()["usage"]["count"] == 30
    named = track(pro, user, {"feature": "api_calls", "amount": 70})
    assert named.json()["usage"]["feature"] == "api_calls" and named.json()["usage"]["count"] == 100
    assert track(pro, user).status_code == 403  # free: 100 calls
    assert UsageCounter.objects.get(end_user=user).count == 100


def test_an_unlimited_feature_counts_without_refusing(pro):
    user = pro.end_user()
    pro.api().patch(f"/api/customers/{user.public_id}", {"plan": "pro"}, format="json")
    response = track(pro, user, {"feature": "storage", "amount": 1_000_000})
    assert response.json()["usage"]["limit"] == "unlimited" and response.json()["usage"]["count"] == 1_000_000


def test_a_feature_the_plan_lacks_allows_nothing(pro):
    user = pro.end_user()
    refused = track(pro, user, {"feature": "seats"})  # only pro has seats
    assert refused.status_code == 403
    assert (refused.json()["code"], refused.json()["limit"], refused.json()["usageCount"]) == (
        "tier_limit_reached", 0, 0)
    assert not FeatureCounter.objects.exists()


@pytest.mark.parametrize("body,status,code,field", [
    ({"feature": "nope"}, 404, "unknown_feature", None),
    ({"feature": "sso"}, 400, "feature_not_metered", "feature"),
    ({"feature": "Exports"}, 400, "invalid_request", "feature"),
    ({"feature": ""}, 400, "invalid_request", "feature"),
    ({"feature": 7}, 400, "invalid_request", "feature"),
    ({"amount": 0}, 400, "invalid_request", "amount"),
    ({"amount": 1_000_001}, 400, "invalid_request", "amount"),
    ({"amount": "5"}, 400, "invalid_request", "amount"),
    ({"amount": True}, 400, "invalid_request", "amount"),
    ({"amount": 1.5}, 400, "invalid_request", "amount"),
    ({"feature": "exports", "count": 3}, 400, "invalid_request", "count"),
    ([], 400, "invalid_request", None),
    ("exports", 400, "invalid_request", None),
])
def test_bad_bodies_are_refused_clearly_and_count_nothing(pro, body, status, code, field):
    user = pro.end_user()
    response = track(pro, user, body)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    if field:
        assert field in response.json()["fields"]
    assert not FeatureCounter.objects.exists() and not UsageCounter.objects.exists()


def test_a_feature_call_is_one_database_round_trip(pro, django_assert_num_queries):
    user = pro.end_user()
    track(pro, user, {"feature": "exports"})  # warms the caches
    with django_assert_num_queries(1):
        assert track(pro, user, {"feature": "exports"}).status_code == 200


def test_get_usage_keeps_the_original_shape_and_adds_every_meter(pro):
    user = pro.end_user()
    track(pro, user)
    track(pro, user, {"feature": "exports"})
    body = pro.api(HTTP_X_USER_ID=user.public_id).get("/api/usage").json()
    assert set(body) == USAGE_KEYS | {"features"}
    assert (body["usageCount"], body["limit"]) == (1, 100)
    assert body["features"] == {
        "api_calls": {"usageCount": 1, "limit": 100, "remaining": 99},
        "exports": {"usageCount": 1, "limit": 2, "remaining": 1},
        "seats": {"usageCount": 0, "limit": 0, "remaining": 0},  # pro's, not in free
        "storage": {"usageCount": 0, "limit": 0, "remaining": 0},
    }


def test_get_usage_of_one_feature(pro):
    user = pro.end_user()
    track(pro, user, {"feature": "exports"})
    client = pro.api(HTTP_X_USER_ID=user.public_id)
    body = client.get("/api/usage?feature=exports").json()
    assert set(body) == USAGE_KEYS | {"feature"}
    assert (body["feature"], body["usageCount"], body["remaining"]) == ("exports", 1, 1)
    assert client.get("/api/usage?feature=api_calls").json()["usageCount"] == 0
    assert client.get("/api/usage?feature=sso").json()["code"] == "feature_not_metered"
    assert client.get("/api/usage?feature=nope").status_code == 404
    assert client.get("/api/usage?feature=Bad!").status_code == 400


def test_check_answers_without_counting(pro):
    user = pro.end_user()
    track(pro, user, {"feature": "exports"})
    client = pro.api(HTTP_X_USER_ID=user.public_id)
    exports = client.get("/api/check?feature=exports").json()
    assert exports == {"userId": user.public_id, "plan": "free", "feature": "exports", "type": "metered",
                       "allowed": True, "usageCount": 1, "limit": 2, "remaining": 1,
                       "periodStart": exports["periodStart"], "periodEnd": exports["periodEnd"]}
    assert client.get("/api/check?feature=exports&amount=2").json()["allowed"] is False
    assert client.get("/api/check?feature=sso").json() == {
        "userId": user.public_id, "plan": "free", "feature": "sso", "type": "boolean", "allowed": False}
    assert client.get("/api/check?feature=seats").json()["allowed"] is False
    assert client.get("/api/check").json()["feature"] == "api_calls"
    assert client.get("/api/check?feature=nope").json()["code"] == "unknown_feature"
    assert client.get("/api/check?amount=0").status_code == 400
    assert FeatureCounter.objects.get().count == 1 and not UsageCounter.objects.exists()
    pro.api().patch(f"/api/customers/{user.public_id}", {"plan": "pro"}, format="json")
    assert client.get("/api/check?feature=sso").json()["allowed"] is True


def test_check_and_usage_with_a_token_in_browser_mode(pro):
    from signup.tokens import end_user_token_issue

    user = pro.end_user()
    client = pro.api(pro.pk, HTTP_X_USER_TOKEN=end_user_token_issue(end_user=user).token)
    assert client.get("/api/check?feature=sso").status_code == 200
    assert client.post("/api/data", {"feature": "exports"}, format="json").status_code == 200


def test_an_outsider_cannot_check_read_or_count_features(pro, bob):
    user = pro.end_user()
    for method, path, body in (("get", "/api/check?feature=exports", None), ("get", "/api/usage?feature=exports", None),
                               ("post", "/api/data", {"feature": "exports"})):
        client = bob.api(HTTP_X_USER_ID=user.public_id)
        response = getattr(client, method)(path, body, format="json") if body else getattr(client, method)(path)
        assert response.status_code == 404
    assert not FeatureCounter.objects.exists()


def test_features_are_per_mode(pro):
    pro.platform.paid_plan_active = True
    pro.platform.save()
    live_user = pro.end_user("live@example.com", mode="live")
    response = pro.api(pro.keys["live"]["secretKey"], HTTP_X_USER_ID=live_user.public_id).post(
        "/api/data", {"feature": "exports"}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "unknown_feature"


def test_an_unlimited_meter_stops_at_the_columns_largest_count(alice):
    alice.project.tiers.filter(slug="free", mode="test").update(monthly_limit=None)
    user = alice.end_user()
    track(alice, user)
    UsageCounter.objects.filter(end_user=user).update(count=COUNTER_MAX - 1)
    assert track(alice, user).status_code == 200
    full = track(alice, user)
    assert full.status_code == 409 and full.json()["code"] == "counter_full"
    assert UsageCounter.objects.get(end_user=user).count == COUNTER_MAX


@pytest.mark.django_db(transaction=True)
def test_two_features_counted_concurrently_stay_exact(alice):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent writers")
    alice.project.rate_limit_per_minute = 10_000
    alice.project.save()
    alice.project.tiers.filter(slug="free", mode="test").update(monthly_limit=50)
    features(alice, exports=30, images=45)
    user = alice.end_user()
    bodies = [None, {"feature": "exports"}, {"feature": "images", "amount": 2}] * 32

    def call(body):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {alice.sk}", HTTP_X_USER_ID=user.public_id)
        if body is None:
            return "api_calls", client.post("/api/data").status_code
        return body["feature"], client.post("/api/data", body, content_type="application/json").status_code

    results = run_at_once(call, bodies)
    ok = {name: sum(1 for n, status in results if n == name and status == 200) for name in ("api_calls", "exports",
                                                                                            "images")}
    assert ok == {"api_calls": 32, "exports": 30, "images": 22}
    assert all(status in (200, 403) for _, status in results)
    assert UsageCounter.objects.get(end_user=user).count == 32
    counts = dict(FeatureCounter.objects.filter(end_user=user).values_list("feature", "count"))
    assert counts == {"exports": 30, "images": 44}


# --- defining features ------------------------------------------------------------------------------


@pytest.mark.parametrize("given,message", [
    ([FeatureInput(key="api_calls", kind="metered", limit=5)], "default meter"),
    ([FeatureInput(key="a", kind="metered"), FeatureInput(key="a", kind="boolean")], "twice"),
    ([FeatureInput(key="Bad Key", kind="metered")], "lowercase"),
    ([FeatureInput(key="x", kind="other")], "metered or boolean"),
    ([FeatureInput(key="x", kind="metered", limit=-1)], "whole number"),
])
def test_feature_definitions_are_checked(alice, given, message):
    with pytest.raises(ApiError) as refused:
        tier_features_set(tier=tier(alice), features=given)
    assert message in refused.value.message
    assert not TierFeature.objects.exists()


def test_a_key_has_one_kind_in_every_tier_of_the_project(pro):
    with pytest.raises(ApiError, match="boolean in another tier"):
        features(pro, "pro", sso=10)


def test_saving_features_replaces_the_tiers_set(pro):
    features(pro, "pro", exports=60)
    assert list(TierFeature.objects.filter(tier=tier(pro, "pro")).values_list("key", "period_limit")) == [
        ("exports", 60)]


def test_a_plan_change_in_the_period_carries_every_meter_over(pro):
    user = pro.end_user()
    track(pro, user, {"feature": "exports"})
    track(pro, user)
    month = UsageCounter.objects.get(end_user=user).period_start
    new_start, new_end = datetime(2030, 1, 15, tzinfo=UTC), datetime(2030, 2, 15, tzinfo=UTC)
    usage_carry_over(end_user_id=user.id, count_from=month, to_start=new_start, to_end=new_end)
    assert UsageCounter.objects.get(end_user=user, period_start=new_start).count == 1
    assert FeatureCounter.objects.get(end_user=user, period_start=new_start, feature="exports").count == 1
