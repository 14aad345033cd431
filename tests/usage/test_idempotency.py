"""POST /api/data with an Idempotency-Key: a retry gets the first answer and counts nothing."""

from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from django.db import connection
from django.test import Client

from tenants.models import EndUser
from tests.concurrency import run_at_once
from usage import idempotency
from usage.features import FeatureInput, tier_features_set
from usage.models import FeatureCounter, TrackedCall, UsageCounter
from usage.tasks import sweep_idempotency_keys

pytestmark = pytest.mark.django_db


def set_limit(tenant, limit, slug="free"):
    tenant.project.tiers.filter(slug=slug, mode="test").update(monthly_limit=limit)


def track(tenant, ref, key=None, body=None, **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    client = tenant.api(HTTP_X_USER_ID=ref, **headers)
    if body is None:
        return client.post("/api/data")
    return client.post("/api/data", body, format="json")


def count(user):
    return UsageCounter.objects.filter(end_user=user).values_list("count", flat=True).first() or 0


def test_a_retry_gets_the_first_answer_and_counts_nothing(alice):
    user = alice.end_user()
    first = track(alice, user.public_id, key="order-1")
    assert first.status_code == 200 and "Idempotent-Replayed" not in first
    track(alice, user.public_id)  # another call without a key: counted
    retry = track(alice, user.public_id, key="order-1")
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert count(user) == 2


def test_a_first_refusal_is_replayed_even_after_the_limit_is_raised(alice):
    set_limit(alice, 1)
    user = alice.end_user()
    track(alice, user.public_id)
    refused = track(alice, user.public_id, key="k-403")
    assert refused.status_code == 403 and refused.json()["code"] == "tier_limit_reached"
    set_limit(alice, 10)
    retry = track(alice, user.public_id, key="k-403")
    assert retry.status_code == 403 and retry.json() == refused.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert count(user) == 1
    assert track(alice, user.public_id, key="k-new").status_code == 200  # a new key is a new call


def test_a_key_belongs_to_one_end_user(alice):
    first, second = alice.end_user("a@example.com"), alice.end_user("b@example.com")
    assert track(alice, first.public_id, key="same").json()["usage"]["userId"] == first.public_id
    assert track(alice, second.public_id, key="same").json()["usage"]["userId"] == second.public_id
    assert (count(first), count(second)) == (1, 1)


def test_the_same_key_names_the_same_end_user_by_either_id(alice):
    user = alice.end_user(external_id="app-7")
    first = track(alice, "app-7", key="k")
    assert track(alice, user.public_id, key="k").json() == first.json()
    assert count(user) == 1


def test_the_same_key_with_another_body_is_a_409(alice):
    user = alice.end_user()
    tier_features_set(tier=user.tier, features=[FeatureInput(key="exports", kind="metered", limit=10)])
    assert track(alice, user.public_id, key="k", body={"feature": "exports", "amount": 2}).status_code == 200
    for body in ({"feature": "exports", "amount": 3}, {"amount": 2}, None):
        response = track(alice, user.public_id, key="k", body=body)
        assert response.status_code == 409 and response.json()["code"] == "idempotency_key_reused"
    assert FeatureCounter.objects.get(end_user=user).count == 2 and count(user) == 0


@pytest.mark.parametrize("key", ["x" * 256, "has space", "tab\tin", "é-accent", ""])
def test_a_bad_key_is_a_400_and_counts_nothing(alice, key):
    user = alice.end_user()
    response = track(alice, user.public_id, key=key)
    assert response.status_code == 400 and response.json()["code"] == "invalid_idempotency_key"
    assert count(user) == 0


def test_a_key_of_255_characters_is_fine(alice):
    user = alice.end_user()
    assert track(alice, user.public_id, key="k" * 255).status_code == 200


def test_a_failed_call_keeps_no_claim(alice):
    user = alice.end_user()
    response = track(alice, user.public_id, key="k", body={"feature": "exports"})
    assert response.status_code == 404 and response.json()["code"] == "unknown_feature"
    assert not TrackedCall.objects.exists()
    tier_features_set(tier=user.tier, features=[FeatureInput(key="exports", kind="metered", limit=10)])
    response = track(alice, user.public_id, key="k", body={"feature": "exports"})
    assert response.status_code == 200 and "Idempotent-Replayed" not in response


def test_after_24_hours_the_key_counts_again_and_the_sweep_forgets_it(alice):
    user = alice.end_user()
    start = datetime(2027, 5, 10, 12, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False):
        track(alice, user.public_id, key="daily")
    with time_machine.travel(start + timedelta(hours=23, minutes=59), tick=False):
        assert track(alice, user.public_id, key="daily")["Idempotent-Replayed"] == "true"
        assert sweep_idempotency_keys() == 0
    with time_machine.travel(start + timedelta(hours=24), tick=False):
        response = track(alice, user.public_id, key="daily")
        assert "Idempotent-Replayed" not in response and response.json()["usage"]["count"] == 2
    with time_machine.travel(start + timedelta(hours=48), tick=False):
        track(alice, user.public_id, key="other")
        assert sweep_idempotency_keys() == 1  # "daily" (its second life expired too); "other" is fresh
    assert list(TrackedCall.objects.values_list("key", flat=True)) == ["other"]


def test_an_unknown_external_id_is_created_and_counted_once(alice):
    first = track(alice, "new-app-user", key="k")
    assert first.status_code == 200
    assert track(alice, "new-app-user", key="k").json() == first.json()
    user = EndUser.objects.get(external_id="new-app-user")
    assert count(user) == 1


def test_an_unknown_end_user_is_a_404(alice):
    response = track(alice, "usr_nobody", key="k")
    assert response.status_code == 404 and response.json()["code"] == "end_user_not_found"


def test_an_outsider_cannot_replay_or_count_with_a_key(alice, bob):
    user = alice.end_user()
    track(alice, user.public_id, key="k")
    response = track(bob, user.public_id, key="k")
    assert response.status_code == 404
    assert count(user) == 1


def test_browser_mode_retries_with_a_token(alice):
    from signup.tokens import end_user_token_issue

    user = alice.end_user()
    token = end_user_token_issue(end_user=user).token
    alice.project.allowed_origins = ["https://app.example.com"]
    alice.project.save()
    client = alice.api(alice.pk, HTTP_X_USER_TOKEN=token, HTTP_IDEMPOTENCY_KEY="browser-1",
                       HTTP_ORIGIN="https://app.example.com")
    first = client.post("/api/data")
    assert first.status_code == 200
    again = client.post("/api/data")
    assert again.json() == first.json()
    assert count(user) == 1
    # A browser app may read the replay marker.
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" in again["Access-Control-Expose-Headers"]


def test_without_the_header_the_hot_path_is_still_one_statement(alice, django_assert_num_queries):
    user = alice.end_user()
    client = alice.api(HTTP_X_USER_ID=user.public_id)
    client.post("/api/data")  # warms the caches
    with django_assert_num_queries(1) as captured:
        assert client.post("/api/data").status_code == 200
    assert "usage_trackedcall" not in captured.captured_queries[0]["sql"]


def test_with_the_header_a_call_and_its_replay_are_one_round_trip_each(alice, django_assert_num_queries):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: one function call; SQLite takes the serialised path")
    user = alice.end_user()
    client = alice.api(HTTP_X_USER_ID=user.public_id)
    client.post("/api/data")  # warms the caches
    with django_assert_num_queries(1) as captured:
        assert client.post("/api/data", HTTP_IDEMPOTENCY_KEY="k").status_code == 200
    assert "usage_track_once" in captured.captured_queries[0]["sql"]
    with django_assert_num_queries(1):
        assert client.post("/api/data", HTTP_IDEMPOTENCY_KEY="k")["Idempotent-Replayed"] == "true"


@pytest.mark.django_db(transaction=True)
def test_the_function_commits_asynchronously_for_its_own_transaction_only(alice, settings):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    settings.USAGE_COUNTER_SYNCHRONOUS_COMMIT = False
    user = alice.end_user()
    assert track(alice, user.public_id, key="k").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.parametrize("path", ["postgresql", "serialised"])
def test_both_implementations_give_the_same_answers(alice, path, monkeypatch):
    if path == "postgresql" and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    if path == "serialised":  # what SQLite runs, here on whatever database the suite has
        monkeypatch.setattr(idempotency, "_track_once_postgresql", idempotency._track_once_serialised)
    set_limit(alice, 2)
    user = alice.end_user()
    tier_features_set(tier=user.tier, features=[FeatureInput(key="exports", kind="metered", limit=5),
                                                FeatureInput(key="sso", kind="boolean", enabled=True)])
    answers = [track(alice, user.public_id, key=f"k{i}") for i in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 403]
    for i, answer in enumerate(answers):
        again = track(alice, user.public_id, key=f"k{i}")
        assert (again.status_code, again.json(), again["Idempotent-Replayed"]) == (
            answer.status_code, answer.json(), "true")
    exported = track(alice, user.public_id, key="e", body={"feature": "exports", "amount": 4})
    assert exported.json()["usage"] == {**exported.json()["usage"], "feature": "exports", "count": 4, "limit": 5}
    too_many = track(alice, user.public_id, key="e2", body={"feature": "exports", "amount": 2})
    assert too_many.status_code == 403 and too_many.json()["usage"]["count"] == 4
    assert track(alice, user.public_id, key="s", body={"feature": "sso"}).json()["code"] == "feature_not_metered"
    assert track(alice, user.public_id, key="u", body={"feature": "nope"}).json()["code"] == "unknown_feature"
    assert (count(user), FeatureCounter.objects.get(end_user=user).count) == (2, 4)


@pytest.mark.django_db(transaction=True)
def test_64_racing_calls_with_one_key_count_once_and_answer_alike(alice):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent writers")
    alice.project.rate_limit_per_minute = 10_000
    alice.project.save()
    user = alice.end_user()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {alice.sk}", "HTTP_X_USER_ID": user.public_id,
               "HTTP_IDEMPOTENCY_KEY": "one-key"}

    def call(_):
        response = Client().post("/api/data", **headers)
        return response.status_code, response.content

    answers = run_at_once(call, range(64))
    assert count(user) == 1
    assert len(set(answers)) == 1 and answers[0][0] == 200
    assert TrackedCall.objects.filter(end_user=user).count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_retries_at_the_limit_share_the_first_refusal(alice):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent writers")
    alice.project.rate_limit_per_minute = 10_000
    alice.project.save()
    set_limit(alice, 3)
    user = alice.end_user()

    def call(i):
        response = Client().post("/api/data", HTTP_AUTHORIZATION=f"Bearer {alice.sk}", HTTP_X_USER_ID=user.public_id,
                                 HTTP_IDEMPOTENCY_KEY=f"key-{i % 8}")
        return i % 8, response.status_code, response.content

    answers = run_at_once(call, range(32))
    by_key = {}
    for key, status, content in answers:
        by_key.setdefault(key, set()).add((status, content))
    assert all(len(seen) == 1 for seen in by_key.values())  # every retry of a key answered alike
    statuses = sorted(next(iter(seen))[0] for seen in by_key.values())
    assert statuses == [200, 200, 200, 403, 403, 403, 403, 403]
    assert count(user) == 3
