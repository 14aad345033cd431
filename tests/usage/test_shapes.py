"""The usage shape: the original SDK's ``Usage`` plus ``count``, one documented serializer."""

from datetime import UTC, datetime

import pytest

from usage.serializers import UsageSerializer, UsageTrackedSerializer, usage_json
from usage.services import Usage

pytestmark = pytest.mark.django_db

ORIGINAL_USAGE = {"userId": str, "plan": str, "usageCount": int, "limit": (int, str), "remaining": (int, str),
                  "periodStart": str, "periodEnd": str}


def usage(limit, count=3):
    return Usage(user_id="usr_x", plan="free", count=count, limit=limit,
                 period_start=datetime(2027, 1, 1, tzinfo=UTC), period_end=datetime(2027, 2, 1, tzinfo=UTC))


@pytest.mark.parametrize("limit,count", [(100, 3), (2, 5), (0, 0), (None, 7)])
def test_the_hot_paths_dict_is_exactly_what_the_serializer_renders(limit, count):
    value = usage(limit, count)
    assert usage_json(value) == UsageSerializer(value).data
    assert {"success": True, "usage": usage_json(value)} == UsageTrackedSerializer(
        {"success": True, "usage": value}).data


def test_an_unlimited_tier_says_unlimited_as_the_original_did():
    body = usage_json(usage(None))
    assert (body["limit"], body["remaining"]) == ("unlimited", "unlimited")


def check_original_types(body):
    for key, kind in ORIGINAL_USAGE.items():
        assert isinstance(body[key], kind), key
    assert body["count"] == body["usageCount"]


def test_post_data_and_get_usage_answer_the_documented_shape(alice):
    user = alice.end_user()
    client = alice.api(HTTP_X_USER_ID=user.public_id)
    tracked = client.post("/api/data").json()
    assert set(tracked) == {"success", "usage"}
    check_original_types(tracked["usage"])
    assert tracked["usage"] == {**tracked["usage"], "userId": user.public_id, "plan": "free", "usageCount": 1,
                                "limit": 100, "remaining": 99}
    read = client.get("/api/usage").json()
    check_original_types(read)
    assert read == tracked["usage"]


def test_the_limit_error_keeps_the_error_shape_and_adds_the_originals_keys(alice):
    alice.project.tiers.filter(slug="free", mode="test").update(monthly_limit=1)
    user = alice.end_user()
    client = alice.api(HTTP_X_USER_ID=user.public_id)
    client.post("/api/data")
    body = client.post("/api/data").json()
    assert (body["error"], body["message"], body["code"]) == ("Tier limit reached", "Please upgrade",
                                                              "tier_limit_reached")
    assert (body["usageCount"], body["limit"], body["plan"]) == (1, 1, "free")
    assert body["usage"]["remaining"] == 0
