import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client

from usage.models import UsageCounter

pytestmark = pytest.mark.django_db

USAGE_KEYS = {"userId", "plan", "usageCount", "count", "limit", "remaining", "periodStart", "periodEnd"}


def set_limit(tenant, limit, slug="free"):
    tenant.project.tiers.filter(slug=slug, mode="test").update(monthly_limit=limit)


def track(tenant, user, **headers):
    return tenant.api(HTTP_X_USER_ID=user.public_id, **headers).post("/api/data")


def test_each_call_counts_and_the_limit_refuses_with_the_original_shape(alice):
    set_limit(alice, 2)
    user = alice.end_user()
    first = track(alice, user)
    assert first.status_code == 200
    body = first.json()
    assert body["success"] is True and set(body["usage"]) == USAGE_KEYS
    assert (body["usage"]["count"], body["usage"]["limit"], body["usage"]["remaining"]) == (1, 2, 1)
    assert track(alice, user).json()["usage"]["count"] == 2
    refused = track(alice, user)
    assert refused.status_code == 403
    body = refused.json()
    assert (body["error"], body["message"], body["code"]) == ("Tier limit reached", "Please upgrade", "tier_limit_reached")
    assert body["usage"]["count"] == 2 and body["usage"]["remaining"] == 0
    assert UsageCounter.objects.get(end_user=user).count == 2


def test_get_usage_has_the_original_keys(alice):
    user = alice.end_user()
    track(alice, user)
    response = alice.api(HTTP_X_USER_ID=user.public_id).get("/api/usage")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == USAGE_KEYS
    assert (body["usageCount"], body["limit"], body["remaining"], body["plan"]) == (1, 100, 99, "free")


def test_x_user_plan_is_ignored_the_stored_plan_decides(alice):
    set_limit(alice, 1)
    alice.project.tiers.create(mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=1000)
    user = alice.end_user()
    assert track(alice, user, HTTP_X_USER_PLAN="pro").status_code == 200
    response = track(alice, user, HTTP_X_USER_PLAN="pro")
    assert response.status_code == 403
    assert alice.api(HTTP_X_USER_ID=user.public_id, HTTP_X_USER_PLAN="pro").get("/api/usage").json()["plan"] == "free"


def test_a_plan_change_applies_on_the_next_call(alice):
    set_limit(alice, 1)
    alice.project.tiers.create(mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=3)
    user = alice.end_user()
    track(alice, user)
    assert track(alice, user).status_code == 403
    alice.api().patch(f"/api/customers/{user.public_id}", {"plan": "pro"}, format="json")
    response = track(alice, user)
    assert response.status_code == 200
    assert response.json()["usage"] == {**response.json()["usage"], "count": 2, "limit": 3, "remaining": 1}


def test_an_unlimited_tier_counts_without_refusing(alice):
    set_limit(alice, None)
    user = alice.end_user()
    for _ in range(5):
        response = track(alice, user)
    assert response.status_code == 200
    assert response.json()["usage"]["count"] == 5
    assert response.json()["usage"]["limit"] == "unlimited" and response.json()["usage"]["remaining"] == "unlimited"


def test_a_zero_limit_refuses_the_first_call(alice):
    set_limit(alice, 0)
    response = track(alice, alice.end_user())
    assert response.status_code == 403
    assert response.json()["usage"]["count"] == 0


def test_the_count_starts_again_in_the_next_calendar_month(alice):
    set_limit(alice, 2)
    user = alice.end_user()
    with time_machine.travel(datetime(2027, 1, 31, 23, 59, 59, tzinfo=timezone.utc), tick=False):
        track(alice, user)
        track(alice, user)
        refused = track(alice, user)
        assert refused.status_code == 403
        assert refused.json()["usage"]["periodEnd"] == "2027-02-01T00:00:00Z"
    with time_machine.travel(datetime(2027, 2, 1, 0, 0, 0, tzinfo=timezone.utc), tick=False):
        response = track(alice, user)
        assert response.status_code == 200
        assert response.json()["usage"]["count"] == 1
        assert response.json()["usage"]["periodStart"] == "2027-02-01T00:00:00Z"
    assert sorted(UsageCounter.objects.filter(end_user=user).values_list("count", flat=True)) == [1, 2]


def test_december_rolls_over_into_the_next_year(alice):
    user = alice.end_user()
    with time_machine.travel(datetime(2027, 12, 15, tzinfo=timezone.utc), tick=False):
        usage = track(alice, user).json()["usage"]
    assert (usage["periodStart"], usage["periodEnd"]) == ("2027-12-01T00:00:00Z", "2028-01-01T00:00:00Z")


def test_the_end_user_must_be_named_and_exist(alice):
    response = alice.api().post("/api/data")
    assert response.status_code == 400 and response.json()["code"] == "end_user_required"
    response = alice.api(HTTP_X_USER_ID="usr_doesnotexist").post("/api/data")
    assert response.status_code == 404 and response.json()["code"] == "end_user_not_found"
    response = alice.api(HTTP_X_USER_ID="x" * 300).post("/api/data")
    assert response.status_code == 400 and response.json()["code"] == "invalid_end_user_id"
    response = alice.api(HTTP_X_USER_ID="usr_'; DROP TABLE x; --").post("/api/data")
    assert response.status_code == 400


def test_an_outsider_cannot_count_or_read_another_projects_user(alice, bob):
    user = alice.end_user()
    track(alice, user)
    for method, path in (("post", "/api/data"), ("get", "/api/usage")):
        response = getattr(bob.api(HTTP_X_USER_ID=user.public_id), method)(path)
        assert response.status_code == 404
    assert UsageCounter.objects.get(end_user=user).count == 1


def test_test_mode_key_cannot_touch_a_live_user(alice):
    alice.platform.paid_plan_active = True
    alice.platform.save()
    live_user = alice.end_user("live@example.com", mode="live")
    assert track(alice, live_user).status_code == 404
    assert alice.api(alice.keys["live"]["secretKey"], HTTP_X_USER_ID=live_user.public_id).post("/api/data").status_code == 200


def test_a_tracked_call_is_one_database_round_trip_with_a_warm_cache(alice, django_assert_num_queries):
    user = alice.end_user()
    client = alice.api(HTTP_X_USER_ID=user.public_id)
    client.post("/api/data")  # warms the key cache
    with django_assert_num_queries(1):
        response = client.post("/api/data")
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_64_concurrent_calls_against_a_limit_of_50_let_exactly_50_through(alice):
    set_limit(alice, 50)
    user = alice.end_user()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {alice.sk}", "HTTP_X_USER_ID": user.public_id}
    alice.project.rate_limit_per_minute = 10_000
    alice.project.save()
    start = threading.Barrier(64)

    def call(_):
        try:
            start.wait()
            return Client().post("/api/data", **headers).status_code
        finally:
            connections.close_all()  # each thread had its own connection

    with ThreadPoolExecutor(max_workers=64) as pool:
        statuses = list(pool.map(call, range(64)))
    assert statuses.count(200) == 50
    assert statuses.count(403) == 14
    assert UsageCounter.objects.get(end_user=user).count == 50


def test_the_statement_is_a_single_conditional_upsert(alice, django_assert_num_queries):
    """Guards the design: no SELECT-then-UPDATE sneaks into the hot path."""
    user = alice.end_user()
    client = alice.api(HTTP_X_USER_ID=user.public_id)
    client.post("/api/data")
    with django_assert_num_queries(1) as captured:
        client.post("/api/data")
    sql = captured.captured_queries[0]["sql"].upper()
    assert "ON CONFLICT" in sql and "WHERE" in sql and "RETURNING" in sql
    assert connection.vendor in ("postgresql", "sqlite")
    if connection.vendor == "postgresql":  # the month computed in SQL, the period returned as integers
        assert "DATE_TRUNC('MONTH'" in sql and "%(MONTH_START)S" not in sql and "EXTRACT(EPOCH FROM PERIOD_START)" in sql


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("synchronous", [False, True])
def test_both_commit_modes_count_and_refuse_the_same(alice, settings, synchronous, django_assert_num_queries):
    settings.USAGE_COUNTER_SYNCHRONOUS_COMMIT = synchronous
    set_limit(alice, 2)
    user = alice.end_user()
    assert track(alice, user).status_code == 200  # warms the key cache
    with django_assert_num_queries(1) as captured:
        assert track(alice, user).status_code == 200
    uses_async = "set_config('synchronous_commit'" in captured.captured_queries[0]["sql"]
    assert track(alice, user).status_code == 403
    assert UsageCounter.objects.get(end_user=user).count == 2
    if connection.vendor == "postgresql":
        assert uses_async is not synchronous
        with connection.cursor() as cursor:  # the statement's setting never outlives its transaction
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_counter_commits_with_it(alice, settings):
    from django.db import transaction

    from usage.services import usage_track

    settings.USAGE_COUNTER_SYNCHRONOUS_COMMIT = False
    user = alice.end_user()
    with transaction.atomic():
        usage_track(project_id=alice.project.id, mode="test", user_public_id=user.public_id)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW synchronous_commit")
                assert cursor.fetchone()[0] == "on"


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_gets_the_statement_again(alice):
    """PostgreSQL runs the statement on a cursor kept with the connection: a closed one is replaced."""
    user = alice.end_user()
    assert track(alice, user).status_code == 200
    connection.close()
    assert track(alice, user).json()["usage"]["count"] == 2
    assert UsageCounter.objects.get(end_user=user).count == 2


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_mid_call_is_a_503_and_the_next_request_reconnects(alice):
    if connection.vendor != "postgresql":
        pytest.skip("terminates a PostgreSQL backend")
    import psycopg

    user = alice.end_user()
    client = alice.api(HTTP_X_USER_ID=user.public_id)
    client.raise_request_exception = False
    assert client.post("/api/data").status_code == 200
    backend = connection.connection.info.backend_pid
    settings_dict = connection.settings_dict
    with psycopg.connect(dbname=settings_dict["NAME"], user=settings_dict["USER"], password=settings_dict["PASSWORD"],
                         host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend])
    lost = client.post("/api/data")
    assert lost.status_code == 503 and lost.json()["code"] == "dependency_unavailable"
    assert connection.errors_occurred  # Django's error wrapping saw it, so the end of the request closes it
    connection.close_if_unusable_or_obsolete()  # what the end of a request does (the test client skips it)
    assert client.post("/api/data").json()["usage"]["count"] == 2
