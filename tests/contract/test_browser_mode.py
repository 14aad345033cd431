"""Browser mode: the publishable key plus the signed-in end user's token, never an id."""

import pytest

from signup.tokens import end_user_token_issue
from usage.models import UsageCounter

from .test_headers import pk_header_client

pytestmark = pytest.mark.django_db

APP = "https://app.example.com"
END_USER_PATHS = (("post", "/api/data"), ("get", "/api/usage"), ("post", "/api/create-checkout"),
                  ("post", "/api/customer-portal"))


@pytest.fixture
def browser(alice):
    """Alice's project allows her app's origin; her end user is signed in there."""
    alice.project.allowed_origins = [APP]
    alice.project.save()
    user = alice.end_user()
    return alice, user, end_user_token_issue(end_user=user).token


def test_tracking_and_reading_usage_with_the_publishable_key_and_a_token(browser):
    alice, user, token = browser
    client = pk_header_client(alice.pk, HTTP_X_CLERK_TOKEN=token, HTTP_ORIGIN=APP)
    tracked = client.post("/api/data")
    assert tracked.status_code == 200
    assert tracked.json()["usage"]["userId"] == user.public_id
    assert tracked["Access-Control-Allow-Origin"] == APP
    assert "X-RateLimit-Remaining" in tracked["Access-Control-Expose-Headers"]
    usage = client.get("/api/usage")
    assert usage.status_code == 200 and usage.json()["usageCount"] == 1
    assert usage["Access-Control-Allow-Origin"] == APP


def test_an_origin_the_project_does_not_allow_gets_no_cors_headers(browser):
    alice, _, token = browser
    response = pk_header_client(alice.pk, HTTP_X_CLERK_TOKEN=token, HTTP_ORIGIN="https://evil.example").post("/api/data")
    assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize("method,path", END_USER_PATHS)
def test_the_publishable_key_may_not_name_an_end_user_by_id(browser, method, path):
    alice, user, token = browser
    for headers in ({"HTTP_X_USER_ID": user.public_id}, {"HTTP_X_USER_ID": user.public_id, "HTTP_X_CLERK_TOKEN": token}):
        response = getattr(pk_header_client(alice.pk, HTTP_ORIGIN=APP, **headers), method)(path)
        assert response.status_code == 403, headers
        assert response.json()["code"] == "user_token_required"
        assert response["Access-Control-Allow-Origin"] == APP  # the browser app can read why
    assert not UsageCounter.objects.exists()


@pytest.mark.parametrize("method,path", END_USER_PATHS)
def test_the_publishable_key_without_a_token_is_a_401(browser, method, path):
    alice, _, _ = browser
    response = getattr(pk_header_client(alice.pk), method)(path)
    assert response.status_code == 401 and response.json()["code"] == "user_token_required"


@pytest.mark.parametrize("method,path", END_USER_PATHS)
def test_secret_key_calls_never_get_cors_headers(browser, method, path):
    alice, user, _ = browser
    response = getattr(alice.api(HTTP_X_USER_ID=user.public_id, HTTP_ORIGIN=APP), method)(path)
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize("method,path", END_USER_PATHS)
def test_another_projects_token_with_this_projects_publishable_key_is_a_401(browser, bob, method, path):
    alice, user, _ = browser
    bobs_token = end_user_token_issue(end_user=bob.end_user()).token
    response = getattr(pk_header_client(alice.pk, HTTP_X_CLERK_TOKEN=bobs_token), method)(path)
    assert response.status_code == 401 and response.json()["code"] == "invalid_user_token"
    response = getattr(pk_header_client(bob.pk, HTTP_X_CLERK_TOKEN=end_user_token_issue(end_user=user).token),
                       method)(path)
    assert response.status_code == 401
    assert not UsageCounter.objects.exists()


def test_a_test_mode_token_with_a_live_publishable_key_is_refused(browser):
    alice, _, token = browser
    alice.platform.paid_plan_active = True
    alice.platform.save()
    response = pk_header_client(alice.keys["live"]["publishableKey"], HTTP_X_CLERK_TOKEN=token).post("/api/data")
    assert response.status_code == 401 and response.json()["code"] == "invalid_user_token"
    assert not UsageCounter.objects.exists()


@pytest.mark.parametrize("path,field", [("/api/create-checkout", "successUrl"), ("/api/create-checkout", "cancelUrl"),
                                        ("/api/customer-portal", "returnUrl")])
def test_browser_mode_redirects_must_be_on_the_allowed_origins(browser, path, field):
    alice, _, token = browser
    body = {"tier": "free", field: "https://evil.example/phish"}
    response = pk_header_client(alice.pk, HTTP_X_CLERK_TOKEN=token).post(path, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "redirect_not_allowed" and field in response.json()["fields"]
    # On an allowed origin the URL passes; the call then goes on to Stripe (not connected here: 409).
    body[field] = f"{APP}/billing?done=1"
    response = pk_header_client(alice.pk, HTTP_X_CLERK_TOKEN=token).post(path, body, format="json")
    assert response.status_code in (400, 409) and response.json()["code"] != "redirect_not_allowed"


def test_the_secret_key_may_redirect_anywhere_http(browser):
    alice, user, _ = browser
    response = alice.api(HTTP_X_USER_ID=user.public_id).post(
        "/api/customer-portal", {"returnUrl": "https://elsewhere.example/"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "stripe_not_connected"
