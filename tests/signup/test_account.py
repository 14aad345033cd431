"""Issue 9 item 4: /account and /refresh, on the hosted session that signing in through the
hosted pages starts."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import jwt
import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.utils import timezone

from billing.models import Tier
from signup import services
from signup.pkce import s256
from signup.tokens import end_user_token_issue
from tenants.models import EndUser

from .conftest import PASSWORD, REDIRECT, code_from, hosted_url, verified_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "fresh-harbour-lantern-77"


def session_cookie_name(tenant, mode="test") -> str:
    return f"dreamapi_session_{tenant.project.public_id}_{mode}"


def signed_in_client(tenant, email="carol@example.com", password=PASSWORD) -> Client:
    """A browser that signed in through the hosted /signin page."""
    client = Client()
    response = client.post(hosted_url("/signin", tenant), {"email": email, "password": password})
    assert response.status_code == 303, response.content[:300]
    return client


def account(client, tenant, action=None, **data):
    url = hosted_url("/account", tenant)
    if action is None:
        return client.get(url)
    return client.post(url, {"action": action, **data})


def exchange(tenant, code, **extra):
    return tenant.api().post("/api/auth/exchange", {"code": code, "redirectUri": REDIRECT, **extra}, format="json")


# --- the hosted session ----------------------------------------------------------------------------


def test_signing_in_starts_a_hosted_session_with_safe_cookie_flags(alice_pages, settings):
    verified_user(alice_pages)
    settings.SESSION_COOKIE_SECURE = True  # as in production
    client = signed_in_client(alice_pages)
    cookie = client.cookies[session_cookie_name(alice_pages)]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"] is True
    assert cookie["path"] == "/"
    assert int(cookie["max-age"]) == 7 * 24 * 3600
    page = account(client, alice_pages)
    assert page.status_code == 200
    assert b"Signed in as <strong>carol@example.com</strong>" in page.content


def test_without_a_session_account_asks_to_sign_in_first_then_continues(alice_pages):
    verified_user(alice_pages)
    client = Client()
    page = account(client, alice_pages)
    assert page.status_code == 200
    assert b"Sign in to manage your account" in page.content
    assert b"Signed in as" not in page.content
    wrong = account(client, alice_pages, "signin", email="carol@example.com", password="not-the-password")
    assert wrong.status_code == 400 and b"not correct" in wrong.content
    response = account(client, alice_pages, "signin", email="carol@example.com", password=PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == hosted_url("/account", alice_pages)
    assert b"Signed in as" in account(client, alice_pages).content


def test_the_session_belongs_to_one_project_and_mode(alice_pages, bob):
    from .conftest import allow_redirects

    allow_redirects(bob)
    verified_user(alice_pages)
    verified_user(bob)  # the same address has an account at bob's project too
    client = signed_in_client(alice_pages)
    assert b"Sign in to manage your account" in account(client, bob).content
    alice_pages.platform.paid_plan_active = True
    alice_pages.platform.save()
    live = client.get(hosted_url("/account", alice_pages, pk=alice_pages.keys["live"]["publishableKey"]))
    assert b"Sign in to manage your account" in live.content
    # A cookie copied under the other project's name does not verify either (signed with its name).
    stolen = Client()
    stolen.cookies[session_cookie_name(bob)] = client.cookies[session_cookie_name(alice_pages)].value
    assert b"Sign in to manage your account" in account(stolen, bob).content


def test_a_tampered_session_cookie_is_ignored(alice_pages):
    verified_user(alice_pages)
    other = verified_user(alice_pages, email="dave@example.com")
    client = signed_in_client(alice_pages)
    name = session_cookie_name(alice_pages)
    value = client.cookies[name].value
    forged = Client()
    forged.cookies[name] = value.replace(value.split(":")[0], other.public_id, 1)
    assert b"Sign in to manage your account" in account(forged, alice_pages).content


def test_the_session_expires(alice_pages):
    verified_user(alice_pages)
    client = signed_in_client(alice_pages)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert b"Sign in to manage your account" in account(client, alice_pages).content


def test_every_action_needs_the_csrf_token(alice_pages):
    verified_user(alice_pages)
    client = signed_in_client(alice_pages)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    for action, data in [("profile", {"first_name": "X"}), ("signout", {}), ("delete", {"confirmation": "DELETE"}),
                         ("password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}), ("return", {})]:
        assert account(strict, alice_pages, action, **data).status_code == 403, action
    assert EndUser.objects.filter(email="carol@example.com", first_name="").exists()


# --- /account ------------------------------------------------------------------------------------------


def test_the_end_user_edits_their_name(alice_pages):
    end_user = verified_user(alice_pages)
    client = signed_in_client(alice_pages)
    response = account(client, alice_pages, "profile", first_name="  Carol ", last_name="Danvers")
    assert response.status_code == 303
    end_user.refresh_from_db()
    assert (end_user.first_name, end_user.last_name) == ("Carol", "Danvers")
    page = account(client, alice_pages).content.decode()
    assert "Your name has been saved." in page
    assert 'value="Danvers"' in page
    too_long = account(client, alice_pages, "profile", first_name="x" * 101, last_name="")
    assert too_long.status_code == 400
    assert 'aria-invalid="true"' in too_long.content.decode()


def test_changing_the_password_needs_the_current_one_and_signs_out_other_devices(alice_pages):
    end_user = verified_user(alice_pages)
    client = signed_in_client(alice_pages)
    other_device = signed_in_client(alice_pages)
    token = end_user_token_issue(end_user=end_user).token

    wrong = account(client, alice_pages, "password", current_password="not-it-at-all", new_password=NEW_PASSWORD)
    assert wrong.status_code == 400
    assert b"current password is not correct" in wrong.content
    weak = account(client, alice_pages, "password", current_password=PASSWORD, new_password="12345678")
    assert weak.status_code == 400
    assert check_password(PASSWORD, EndUser.objects.get(pk=end_user.pk).password)

    done = account(client, alice_pages, "password", current_password=PASSWORD, new_password=NEW_PASSWORD)
    assert done.status_code == 303
    assert check_password(NEW_PASSWORD, EndUser.objects.get(pk=end_user.pk).password)
    assert b"You were signed out on every other device" in account(client, alice_pages).content  # still signed in
    assert b"Sign in to manage your account" in account(other_device, alice_pages).content
    assert alice_pages.api(HTTP_X_USER_TOKEN=token).get("/api/usage").status_code == 401


def test_guessing_the_current_password_is_rate_limited(alice_pages, monkeypatch):
    monkeypatch.setitem(services.RATE_LIMITS, "account:password", (3, 300))
    verified_user(alice_pages)
    client = signed_in_client(alice_pages)
    statuses = [account(client, alice_pages, "password", current_password=f"guess-{i}-xx",
                        new_password=NEW_PASSWORD).status_code for i in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_sign_out_of_every_device(alice_pages):
    end_user = verified_user(alice_pages)
    client = signed_in_client(alice_pages)
    other_device = signed_in_client(alice_pages)
    token = end_user_token_issue(end_user=end_user).token
    response = account(client, alice_pages, "signout")
    assert response.status_code == 200
    assert b"You are signed out" in response.content
    assert f'href="{REDIRECT}"'.encode() in response.content
    assert client.cookies[session_cookie_name(alice_pages)].value == ""  # deleted
    assert alice_pages.api(HTTP_X_USER_TOKEN=token).get("/api/usage").status_code == 401
    for browser in (client, other_device):
        assert b"Sign in to manage your account" in account(browser, alice_pages).content


def test_deleting_the_account_needs_the_typed_confirmation(alice_pages):
    end_user = verified_user(alice_pages)
    client = signed_in_client(alice_pages)
    for typed in ("", "delete", "yes"):
        refused = account(client, alice_pages, "delete", confirmation=typed)
        assert refused.status_code == 400
        assert EndUser.objects.filter(pk=end_user.pk).exists()
    done = account(client, alice_pages, "delete", confirmation="DELETE")
    assert done.status_code == 200
    assert b"Your account has been deleted" in done.content
    assert not EndUser.objects.filter(pk=end_user.pk).exists()
    assert b"Sign in to manage your account" in account(client, alice_pages).content


def test_back_to_the_app_returns_a_fresh_code_bound_to_the_challenge(alice_pages):
    verified_user(alice_pages)
    client = signed_in_client(alice_pages)
    verifier = "back-to-the-app-verifier-" + "x" * 30
    query = urlencode({"pk": alice_pages.pk, "redirect": REDIRECT, "code_challenge": s256(verifier),
                       "code_challenge_method": "S256"})
    response = client.post(f"/account?{query}", {"action": "return"})
    assert response.status_code == 303
    code = code_from(response.headers["Location"])
    assert alice_pages.api(alice_pages.pk).post("/api/auth/exchange", {
        "code": code, "redirectUri": REDIRECT, "codeVerifier": verifier}, format="json").status_code == 200


def test_account_and_refresh_refuse_a_redirect_outside_the_allowlist(alice_pages):
    verified_user(alice_pages)
    client = signed_in_client(alice_pages)
    for path in ("/account", "/refresh"):
        for target in ("https://evil.example/cb", f"{REDIRECT}?Code=x"):
            response = client.get(hosted_url(path, alice_pages, redirect=target))
            assert response.status_code == 400
            assert "Location" not in response.headers


def test_the_account_page_of_an_end_user_without_a_password_offers_to_set_one(alice_pages):
    end_user = alice_pages.end_user(email="olivia@example.com", email_verified=True)  # e.g. signed up with OIDC
    client = Client()
    from django.http import HttpResponse

    from signup.sessions import hosted_session_start

    response = HttpResponse()
    end_user_token_issue(end_user=end_user)
    hosted_session_start(response, end_user=end_user)
    client.cookies.update(response.cookies)
    page = account(client, alice_pages).content.decode()
    assert "Your account has no password" in page
    assert "/signin/forgot?" in page


# --- /refresh ---------------------------------------------------------------------------------------------


def test_refresh_returns_at_once_with_a_code_carrying_the_current_plan(alice_pages):
    end_user = verified_user(alice_pages)
    client = signed_in_client(alice_pages)
    # A checkout later, the webhook moved the end user to "pro".
    pro = Tier.objects.create(project=alice_pages.project, mode="test", slug="pro", name="Pro", price_cents=900)
    EndUser.objects.filter(pk=end_user.pk).update(tier=pro)
    response = client.get(hosted_url("/refresh", alice_pages))
    assert response.status_code == 303
    assert response.headers["Location"].startswith(REDIRECT + "?code=")
    body = exchange(alice_pages, code_from(response.headers["Location"])).json()
    assert body["customer"]["plan"] == "pro"
    assert jwt.decode(body["token"], options={"verify_signature": False})["plan"] == "pro"


def test_refresh_without_a_session_asks_to_sign_in_then_returns_to_the_app(alice_pages):
    verified_user(alice_pages)
    client = Client()
    verifier = "refresh-without-session-verifier-" + "y" * 20
    query = urlencode({"pk": alice_pages.pk, "redirect": REDIRECT, "code_challenge": s256(verifier),
                       "code_challenge_method": "S256"})
    page = client.get(f"/refresh?{query}")
    assert page.status_code == 200
    assert b"Sign in to continue" in page.content
    response = client.post(f"/refresh?{query}", {"action": "signin", "email": "carol@example.com",
                                                 "password": PASSWORD})
    assert response.status_code == 303
    code = code_from(response.headers["Location"])
    assert exchange(alice_pages, code).json()["code"] == "code_verifier_required"
    assert exchange(alice_pages, code, codeVerifier=verifier).status_code == 200
    # Signed in now: the next /refresh needs no form.
    assert client.get(f"/refresh?{query}").status_code == 303


def test_revoking_the_end_users_tokens_ends_the_hosted_session(alice_pages):
    end_user = verified_user(alice_pages)
    client = signed_in_client(alice_pages)
    assert client.get(hosted_url("/refresh", alice_pages)).status_code == 303
    assert alice_pages.api().post("/api/auth/revoke", {"customerId": end_user.public_id}, format="json"
                                  ).status_code == 200
    again = client.get(hosted_url("/refresh", alice_pages))
    assert again.status_code == 200 and b"Sign in to continue" in again.content


def test_deleting_the_end_user_with_the_api_ends_the_hosted_session(alice_pages):
    end_user = verified_user(alice_pages)
    client = signed_in_client(alice_pages)
    assert alice_pages.api().delete(f"/api/customers/{end_user.public_id}").status_code == 200
    assert b"Sign in to continue" in client.get(hosted_url("/refresh", alice_pages)).content


def test_refresh_is_rate_limited_per_address(alice_pages, monkeypatch):
    monkeypatch.setitem(services.RATE_LIMITS, "session:ip", (3, 300))
    verified_user(alice_pages)
    with time_machine.travel(datetime(2031, 1, 1, 0, 0, 1, tzinfo=UTC), tick=False):  # one rate-limit window
        client = signed_in_client(alice_pages)
        statuses = [client.get(hosted_url("/refresh", alice_pages)).status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
