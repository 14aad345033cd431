"""POST /api/data answers a plain call without DRF's Request/Response (usage.apis.track_usage):
every answer, error and header must be what the DRF view (TrackUsageApi) gives for it."""

import json

import pytest
from django.test import RequestFactory

from signup.tokens import end_user_token_issue
from usage import apis
from usage.models import UsageCounter

pytestmark = pytest.mark.django_db

APP = "https://app.example.com"


def both(**meta):
    """The same request answered by the lean view, then by the DRF view."""
    answers = []
    for view in (apis.track_usage, apis._track_usage_drf):
        response = view(RequestFactory().post("/api/data", **meta))
        if hasattr(response, "render"):
            response.render()
        answers.append((response.status_code, dict(response.items()), response.content))
    return answers


def assert_same(lean, drf, *, counted_between=False):
    (lean_status, lean_headers, lean_body), (drf_status, drf_headers, drf_body) = lean, drf
    assert lean_status == drf_status
    lean_remaining, drf_remaining = lean_headers.pop("X-RateLimit-Remaining", None), drf_headers.pop(
        "X-RateLimit-Remaining", None)
    if lean_remaining is not None and int(lean_remaining) > 0:
        assert int(lean_remaining) == int(drf_remaining) + 1  # the DRF call was rate-counted after the lean one
    else:
        assert lean_remaining == drf_remaining
    assert lean_headers == drf_headers
    if counted_between:  # the second call counted one more
        lean_json, drf_json = json.loads(lean_body), json.loads(drf_body)
        assert drf_json["usage"]["count"] == lean_json["usage"]["count"] + 1
        for body in (lean_json, drf_json):
            body["usage"].update(count=0, usageCount=0, remaining=0)
        assert lean_json == drf_json
        assert lean_body == json.dumps(json.loads(lean_body), ensure_ascii=False, separators=(",", ":")).encode()
    else:
        assert lean_body == drf_body


def secret(tenant, **meta):
    return {"HTTP_AUTHORIZATION": f"Bearer {tenant.sk}", **meta}


def test_a_counted_call_is_answered_alike(alice):
    user = alice.end_user()
    lean, drf = both(**secret(alice, HTTP_X_USER_ID=user.public_id))
    assert lean[0] == 200 and lean[1]["Content-Type"] == "application/json" and lean[1]["Allow"] == "POST, OPTIONS"
    assert {"X-RateLimit-Limit", "X-RateLimit-Reset"} <= set(lean[1])
    assert_same(lean, drf, counted_between=True)
    assert UsageCounter.objects.get(end_user=user).count == 2


@pytest.mark.parametrize("case", [
    "no key", "unknown key", "no end user", "invalid end user", "unknown end user", "bad idempotency key",
    "env mismatch", "bad env", "publishable key without token", "publishable key naming an id",
    "mismatched publishable header", "tier limit reached", "two tokens",
])
def test_errors_are_the_same_json_and_headers(alice, bob, case):
    user = alice.end_user()
    alice.project.tiers.filter(slug="free", mode="test").update(monthly_limit=0)
    named = {"HTTP_X_USER_ID": user.public_id}
    meta = {
        "no key": {},
        "unknown key": {"HTTP_AUTHORIZATION": "Bearer sk_test_" + "x" * 32, **named},
        "no end user": secret(alice),
        "invalid end user": secret(alice, HTTP_X_USER_ID="x" * 300),
        "unknown end user": secret(alice, HTTP_X_USER_ID="usr_doesnotexist"),
        "bad idempotency key": secret(alice, HTTP_IDEMPOTENCY_KEY="has space", **named),
        "env mismatch": secret(alice, HTTP_X_ENV="live", **named),
        "bad env": secret(alice, HTTP_X_ENV="prod", **named),
        "publishable key without token": {"HTTP_X_PUBLISHABLE_KEY": alice.pk, "HTTP_ORIGIN": APP},
        "publishable key naming an id": {"HTTP_X_PUBLISHABLE_KEY": alice.pk, "HTTP_ORIGIN": APP, **named},
        "mismatched publishable header": secret(alice, HTTP_X_PUBLISHABLE_KEY=bob.pk, **named),
        "tier limit reached": secret(alice, **named),
        "two tokens": secret(alice, HTTP_X_USER_TOKEN=end_user_token_issue(end_user=user).token,
                             HTTP_X_CLERK_TOKEN=end_user_token_issue(end_user=alice.end_user("b@example.com")).token),
    }[case]
    lean, drf = both(**meta)
    assert lean[0] >= 400 and json.loads(lean[2])["code"]
    assert_same(lean, drf)
    assert not UsageCounter.objects.filter(count__gt=0).exists()


def test_the_rate_limited_answer_is_the_same(alice):
    alice.project.rate_limit_per_minute = 1
    alice.project.save()
    user = alice.end_user()
    meta = secret(alice, HTTP_X_USER_ID=user.public_id)
    apis.track_usage(RequestFactory().post("/api/data", **meta))
    lean, drf = both(**meta)
    assert lean[0] == 429 and "Retry-After" in lean[1]
    assert_same(lean, drf)


def test_browser_mode_gets_the_same_cors_headers(alice):
    alice.project.allowed_origins = [APP]
    alice.project.save()
    user = alice.end_user()
    token = end_user_token_issue(end_user=user).token
    lean, drf = both(HTTP_X_PUBLISHABLE_KEY=alice.pk, HTTP_X_CLERK_TOKEN=token, HTTP_ORIGIN=APP)
    assert lean[0] == 200 and lean[1]["Access-Control-Allow-Origin"] == APP and lean[1]["Vary"] == "Origin"
    assert_same(lean, drf, counted_between=True)


def test_an_idempotent_retry_is_replayed_alike(alice):
    user = alice.end_user()
    meta = secret(alice, HTTP_X_USER_ID=user.public_id, HTTP_IDEMPOTENCY_KEY="order-42")
    lean, drf = both(**meta)
    assert lean[0] == drf[0] == 200
    assert "Idempotent-Replayed" not in lean[1] and drf[1]["Idempotent-Replayed"] == "true"
    assert UsageCounter.objects.get(end_user=user).count == 1
    replay_lean, replay_drf = both(**meta)
    assert replay_lean[1]["Idempotent-Replayed"] == "true"
    assert_same(replay_lean, replay_drf)


@pytest.mark.parametrize("meta", [
    {"QUERY_STRING": "format=xml"},
    {"HTTP_ACCEPT": "text/html"},
    {"HTTP_ACCEPT": "application/json; indent=4"},
])
def test_requests_that_need_drf_negotiation_get_drfs_answer(alice, meta):
    user = alice.end_user()
    response = alice.api(HTTP_X_USER_ID=user.public_id, **{k: v for k, v in meta.items() if k.startswith("HTTP_")}
                         ).post("/api/data" + ("?" + meta["QUERY_STRING"] if "QUERY_STRING" in meta else ""))
    if meta.get("HTTP_ACCEPT") == "application/json; indent=4":
        assert response.status_code == 200 and b'\n    "success": true' in response.content
    else:
        assert response.status_code in (404, 406) and response["Content-Type"] == "application/json"
        assert not UsageCounter.objects.exists()


def test_a_json_body_and_a_preflight_go_through_drf(alice):
    alice.project.tiers.filter(slug="free", mode="test").update(monthly_limit=10)
    user = alice.end_user()
    response = alice.api(HTTP_X_USER_ID=user.public_id).post("/api/data", {"amount": 3}, format="json")
    assert response.status_code == 200 and response.json()["usage"]["count"] == 3
    response = alice.api(HTTP_X_USER_ID=user.public_id).post("/api/data", {"amount": "x"}, format="json")
    assert response.status_code == 400 and response.json()["fields"]["amount"]
    preflight = alice.api().options("/api/data", HTTP_ORIGIN=APP, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert preflight.status_code == 204 and "POST" in preflight["Access-Control-Allow-Methods"]
    assert alice.api().get("/api/data").status_code == 405


def test_the_schema_still_documents_post_api_data(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/data"]["post"]
    assert operation["operationId"] == "usage_track"
    assert "Idempotency-Key" in {p["name"] for p in operation["parameters"]}
