"""The headers the original service's clients send: X-Publishable-Key, X-Clerk-Token, X-End-User-Token."""

import pytest
from rest_framework.test import APIClient

from signup.tokens import end_user_token_issue
from tenants.models import EndUser
from usage.models import UsageCounter

pytestmark = pytest.mark.django_db

BROWSER_PATHS = (("post", "/api/data"), ("get", "/api/usage"), ("post", "/api/create-checkout"),
                 ("post", "/api/customer-portal"), ("get", "/api/tiers"))


def pk_header_client(key: str, **headers) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_PUBLISHABLE_KEY=key, **headers)
    return client


def test_x_publishable_key_alone_authenticates_like_a_bearer_publishable_key(alice):
    response = pk_header_client(alice.pk).get("/api/tiers")
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["tiers"]] == ["free"]


def test_x_publishable_key_alone_cannot_reach_secret_endpoints(alice):
    response = pk_header_client(alice.pk).post("/api/customers", {"email": "a@example.com"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "secret_key_required"
    assert not EndUser.objects.exists()


@pytest.mark.parametrize("value", ["", "sk_test_" + "A" * 40, "pk_test_" + "A" * 32, "nonsense"])
def test_a_wrong_x_publishable_key_alone_is_the_same_401(alice, value):
    response = pk_header_client(value).get("/api/tiers")
    assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"


def test_an_authorization_header_wins_over_x_publishable_key(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer sk_test_" + "Z" * 40, HTTP_X_PUBLISHABLE_KEY=alice.pk)
    assert client.get("/api/tiers").status_code == 401


def test_the_secret_key_with_its_own_projects_publishable_key_is_fine(alice):
    response = alice.api(HTTP_X_PUBLISHABLE_KEY=alice.pk).post("/api/customers", {"email": "a@example.com"},
                                                                format="json")
    assert response.status_code == 201


@pytest.mark.parametrize("which", ["another project", "the other mode"])
def test_a_publishable_key_of_another_project_or_mode_beside_the_secret_key_is_a_400(alice, bob, which):
    other = bob.pk if which == "another project" else alice.keys["live"]["publishableKey"]
    response = alice.api(HTTP_X_PUBLISHABLE_KEY=other).post("/api/customers", {"email": "a@example.com"},
                                                             format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "publishable_key_mismatch"
    assert "X-Publishable-Key" in body["message"] and "another project" in body["message"]
    assert not EndUser.objects.exists()


def test_a_publishable_key_in_both_headers_must_be_the_same(alice, bob):
    assert alice.api(alice.pk, HTTP_X_PUBLISHABLE_KEY=alice.pk).get("/api/tiers").status_code == 200
    response = alice.api(alice.pk, HTTP_X_PUBLISHABLE_KEY=bob.pk).get("/api/tiers")
    assert response.status_code == 400 and response.json()["code"] == "publishable_key_mismatch"


@pytest.mark.parametrize("header", ["HTTP_X_USER_TOKEN", "HTTP_X_CLERK_TOKEN", "HTTP_X_END_USER_TOKEN"])
def test_every_token_header_names_the_end_user_with_either_key(alice, header):
    user = alice.end_user()
    token = end_user_token_issue(end_user=user).token
    assert alice.api(**{header: token}).post("/api/data").status_code == 200
    assert pk_header_client(alice.pk, **{header: token}).post("/api/data").status_code == 200
    usage = alice.api(alice.pk, **{header: token}).get("/api/usage").json()
    assert (usage["userId"], usage["usageCount"]) == (user.public_id, 2)


def test_two_different_tokens_are_refused(alice):
    first = alice.end_user("a@example.com")
    second = alice.end_user("b@example.com")
    response = alice.api(HTTP_X_USER_TOKEN=end_user_token_issue(end_user=first).token,
                         HTTP_X_CLERK_TOKEN=end_user_token_issue(end_user=second).token).post("/api/data")
    assert response.status_code == 400 and response.json()["code"] == "conflicting_user_tokens"
    assert not UsageCounter.objects.exists()


@pytest.mark.parametrize("method,path", BROWSER_PATHS)
def test_the_preflight_lists_the_original_clients_headers(client, method, path):
    response = client.options(path, HTTP_ORIGIN="https://app.example.com",
                              HTTP_ACCESS_CONTROL_REQUEST_METHOD=method.upper())
    assert response.status_code == 204
    allowed = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-publishable-key", "x-clerk-token", "x-user-token",
            "x-end-user-token", "x-env"} <= allowed
    assert method.upper() in response["Access-Control-Allow-Methods"]


def test_the_original_sdks_two_keys_keep_the_tracked_call_one_round_trip(alice, django_assert_num_queries):
    user = alice.end_user()
    client = alice.api(HTTP_X_PUBLISHABLE_KEY=alice.pk, HTTP_X_USER_ID=user.public_id)
    client.post("/api/data")  # warms the key cache
    with django_assert_num_queries(1):
        assert client.post("/api/data").status_code == 200
