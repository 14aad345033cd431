"""bench/'s baselines (usage.bench): the no-op touches nothing; the round-trip floor makes exactly
the two round trips POST /api/data keeps, a query and a Redis PING, and nothing else."""

import os

import pytest
from django.test import RequestFactory

from dreamapi import ratelimit
from usage.bench import noop, roundtrips

pytestmark = pytest.mark.django_db


def test_the_no_op_makes_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = noop(RequestFactory().post("/api/_bench/noop"))
    assert (response.status_code, response.content) == (200, b'{"success":true}')


def test_the_floor_makes_one_query_and_answers_like_the_no_op(django_assert_num_queries):
    with django_assert_num_queries(1) as captured:
        response = roundtrips(RequestFactory().post("/api/_bench/roundtrips"))
    assert captured.captured_queries[0]["sql"] == "SELECT 1"
    assert (response.status_code, response.content) == (200, b'{"success":true}')


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
def test_the_floors_redis_round_trip_is_a_ping_on_the_rate_limits_connection(settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    ratelimit.reset_client()
    assert ratelimit.round_trip() is True
    connection = ratelimit._local.connection
    ratelimit.rate_limit_hit(scope="bench-floor", limit=10)
    assert ratelimit._local.connection is connection  # the same connection the hits use
    settings.REDIS_URL = ""
    assert ratelimit.round_trip() is False
