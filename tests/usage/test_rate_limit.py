from datetime import datetime, timezone

import pytest
import time_machine

from usage.models import UsageCounter

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(alice):
    alice.project.rate_limit_per_minute = 3
    alice.project.save()
    return alice


def test_the_fourth_call_in_a_minute_is_429_with_headers(limited):
    user = limited.end_user()
    client = limited.api(HTTP_X_USER_ID=user.public_id)
    with time_machine.travel(datetime(2027, 3, 3, 12, 0, 10, tzinfo=timezone.utc), tick=False):
        responses = [client.post("/api/data") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[0]["X-RateLimit-Limit"] == "3"
    assert responses[0]["X-RateLimit-Remaining"] == "2"
    assert responses[2]["X-RateLimit-Remaining"] == "0"
    limited_response = responses[3]
    assert limited_response.json()["code"] == "rate_limited"
    assert limited_response["Retry-After"] == "50"
    assert limited_response["X-RateLimit-Reset"] == str(int(datetime(2027, 3, 3, 12, 1, tzinfo=timezone.utc).timestamp()))
    # A refused call is not counted against the tier limit.
    assert UsageCounter.objects.get(end_user=user).count == 3


def test_the_next_minute_is_a_new_window(limited):
    user = limited.end_user()
    client = limited.api(HTTP_X_USER_ID=user.public_id)
    with time_machine.travel(datetime(2027, 3, 3, 12, 0, 59, tzinfo=timezone.utc), tick=False):
        assert [client.post("/api/data").status_code for _ in range(4)][-1] == 429
    with time_machine.travel(datetime(2027, 3, 3, 12, 1, 0, tzinfo=timezone.utc), tick=False):
        assert client.post("/api/data").status_code == 200


def test_limits_are_per_end_user(limited):
    a, b = limited.end_user("a@example.com"), limited.end_user("b@example.com")
    with time_machine.travel(datetime(2027, 3, 3, 12, 0, 10, tzinfo=timezone.utc), tick=False):
        for _ in range(3):
            limited.api(HTTP_X_USER_ID=a.public_id).post("/api/data")
        assert limited.api(HTTP_X_USER_ID=a.public_id).post("/api/data").status_code == 429
        assert limited.api(HTTP_X_USER_ID=b.public_id).post("/api/data").status_code == 200


def test_when_redis_is_down_calls_go_through_and_usage_limits_still_hold(alice, settings):
    # Nothing listens on port 1: every Redis command fails at once.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    alice.project.rate_limit_per_minute = 1
    alice.project.save()
    alice.project.tiers.filter(slug="free", mode="test").update(monthly_limit=3)
    user = alice.end_user()
    client = alice.api(HTTP_X_USER_ID=user.public_id)
    statuses = [client.post("/api/data").status_code for _ in range(4)]
    # The per-minute limit (1) is not enforced without Redis; the tier limit (3) is.
    assert statuses == [200, 200, 200, 403]
    assert "X-RateLimit-Limit" not in client.post("/api/data")
    assert UsageCounter.objects.get(end_user=user).count == 3


def test_an_optional_per_key_limit_counts_every_call_made_with_the_key(alice, bob):
    alice.project.key_rate_limit_per_minute = 3
    alice.project.save()
    users = [alice.end_user(f"k{i}@example.com") for i in range(3)]
    with time_machine.travel(datetime(2027, 3, 3, 12, 0, 10, tzinfo=timezone.utc), tick=False):
        statuses = [alice.api(HTTP_X_USER_ID=u.public_id).post("/api/data").status_code for u in users]
        refused = alice.api().get("/api/tiers")  # any endpoint counts against the key
        assert bob.api().get("/api/tiers").status_code == 200  # another project's key is not affected
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["code"] == "key_rate_limited"
    assert refused["Retry-After"] == "50" and refused["X-RateLimit-Scope"] == "key"
    with time_machine.travel(datetime(2027, 3, 3, 12, 1, 0, tzinfo=timezone.utc), tick=False):
        assert alice.api().get("/api/tiers").status_code == 200


def test_without_a_per_key_limit_the_hot_path_makes_no_extra_round_trip(alice, django_assert_num_queries):
    assert alice.project.key_rate_limit_per_minute is None
    user = alice.end_user()
    client = alice.api(HTTP_X_USER_ID=user.public_id)
    client.post("/api/data")
    with django_assert_num_queries(1):
        assert client.post("/api/data").status_code == 200
