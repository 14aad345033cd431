"""Issue 9 item 3: PKCE (RFC 7636, S256) lets a browser-only app exchange its code with the
publishable key; the code is bound to the challenge the sign-in started with."""

import secrets
import threading
from urllib.parse import urlencode

import pytest
from django.db import connection
from rest_framework.test import APIClient

from signup.models import EndUserAuth, SignInCode
from signup.pkce import s256
from signup.tokens import end_user_token_issue

from .conftest import APP_ORIGIN, PASSWORD, REDIRECT, code_from, issue_code, link_from_outbox, relative, verified_user

pytestmark = pytest.mark.django_db


def new_verifier() -> str:
    return secrets.token_urlsafe(48)


def pkce_url(path: str, tenant, challenge: str, method: str = "S256", pk: str | None = None) -> str:
    params = {"pk": pk or tenant.pk, "redirect": REDIRECT, "code_challenge": challenge}
    if method:
        params["code_challenge_method"] = method
    return f"{path}?{urlencode(params)}"


def browser_exchange(tenant, code, verifier=None, key=None, **headers):
    body = {"code": code, "redirectUri": REDIRECT}
    if verifier is not None:
        body["codeVerifier"] = verifier
    return tenant.api(key or tenant.pk, **headers).post("/api/auth/exchange", body, format="json")


def pkce_sign_in(client, tenant, verifier, email="carol@example.com"):
    response = client.post(pkce_url("/signin", tenant, s256(verifier)), {"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.content[:500]
    return code_from(response.headers["Location"])


def test_a_browser_app_signs_in_with_pkce_and_the_publishable_key(client, alice_pages):
    end_user = verified_user(alice_pages)
    verifier = new_verifier()
    page = client.get(pkce_url("/signin", alice_pages, s256(verifier)))
    assert page.status_code == 200
    # Links on the page keep the challenge, so a detour (forgot password, sign up) keeps it too.
    assert f"code_challenge={s256(verifier)}" in page.content.decode()
    code = pkce_sign_in(client, alice_pages, verifier)
    assert SignInCode.objects.get().code_challenge == s256(verifier)
    response = browser_exchange(alice_pages, code, verifier)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"success", "customer", "token", "expiresIn"}
    assert body["customer"]["id"] == end_user.public_id and body["expiresIn"] == 3600
    # The token works in browser mode for refresh, and with the secret key on the API.
    assert alice_pages.api(HTTP_X_USER_TOKEN=body["token"]).get("/api/usage").status_code == 200


def test_the_secret_key_also_needs_the_verifier_of_a_pkce_code(client, alice_pages):
    verified_user(alice_pages)
    verifier = new_verifier()
    code = pkce_sign_in(client, alice_pages, verifier)
    missing = browser_exchange(alice_pages, code, key=alice_pages.sk)
    assert (missing.status_code, missing.json()["code"]) == (400, "code_verifier_required")
    assert browser_exchange(alice_pages, code, verifier, key=alice_pages.sk).status_code == 200


def test_a_wrong_verifier_is_refused_and_does_not_burn_the_code(client, alice_pages):
    verified_user(alice_pages)
    verifier = new_verifier()
    code = pkce_sign_in(client, alice_pages, verifier)
    for wrong in (new_verifier(), s256(verifier), verifier[:-1] + ("A" if verifier[-1] != "A" else "B")):
        response = browser_exchange(alice_pages, code, wrong)
        assert (response.status_code, response.json()["code"]) == (400, "invalid_code_verifier"), wrong
        assert "customer" not in response.json()
    assert browser_exchange(alice_pages, code, verifier).status_code == 200


def test_a_missing_verifier_is_refused(client, alice_pages):
    verified_user(alice_pages)
    code = pkce_sign_in(client, alice_pages, new_verifier())
    response = browser_exchange(alice_pages, code)
    assert (response.status_code, response.json()["code"]) == (400, "code_verifier_required")


def test_a_replayed_code_is_refused(client, alice_pages):
    verified_user(alice_pages)
    verifier = new_verifier()
    code = pkce_sign_in(client, alice_pages, verifier)
    assert browser_exchange(alice_pages, code, verifier).status_code == 200
    again = browser_exchange(alice_pages, code, verifier)
    assert (again.status_code, again.json()["code"]) == (400, "code_used")


def test_a_code_of_another_project_or_mode_is_refused(client, alice_pages, bob):
    verified_user(alice_pages)
    verifier = new_verifier()
    code = pkce_sign_in(client, alice_pages, verifier)
    bobs = browser_exchange(bob, code, verifier)
    assert (bobs.status_code, bobs.json()["code"]) == (400, "invalid_code")
    alice_pages.platform.paid_plan_active = True
    alice_pages.platform.save()
    live = browser_exchange(alice_pages, code, verifier, key=alice_pages.keys["live"]["publishableKey"])
    assert (live.status_code, live.json()["code"]) == (400, "invalid_code")
    assert browser_exchange(alice_pages, code, verifier).status_code == 200, "the refusals did not burn it"


@pytest.mark.parametrize("method", ["plain", "PLAIN", "", "S512", "s256"])
def test_only_the_s256_method_is_accepted(client, alice_pages, method):
    verifier = new_verifier()
    challenge = verifier[:43] if method.lower() == "plain" else s256(verifier)
    response = client.get(pkce_url("/signin", alice_pages, challenge, method=method))
    assert response.status_code == 400
    assert b"S256" in response.content
    assert "Location" not in response.headers


@pytest.mark.parametrize("challenge", ["short", "x" * 44, "a+b/" + "c" * 39, "=" * 43, ""])
def test_a_malformed_challenge_is_refused(client, alice_pages, challenge):
    response = client.get(pkce_url("/signin", alice_pages, challenge))
    assert response.status_code == 400
    assert b"code_challenge" in response.content


def test_a_verifier_that_is_not_rfc_7636_is_a_field_error(alice_pages):
    for verifier in ("short", "x" * 129, "has spaces" + "x" * 40, 12345):
        response = browser_exchange(alice_pages, "some-code", verifier)
        assert response.status_code == 400
        assert "codeVerifier" in response.json()["fields"]


def test_a_verifier_for_a_code_issued_without_a_challenge(alice_pages):
    """A verifier there means the challenge was lost on the way (a downgrade): refused with
    either key; the secret key without one still works."""
    code = issue_code(verified_user(alice_pages))
    browser = browser_exchange(alice_pages, code, new_verifier())
    assert (browser.status_code, browser.json()["code"]) == (403, "secret_key_required")
    backend = browser_exchange(alice_pages, code, new_verifier(), key=alice_pages.sk)
    assert (backend.status_code, backend.json()["code"]) == (400, "code_verifier_unexpected")
    assert browser_exchange(alice_pages, code, key=alice_pages.sk).status_code == 200


def test_the_challenge_survives_sign_up_and_the_emailed_link(client, alice_pages):
    verifier = new_verifier()
    client.post(pkce_url("/signup", alice_pages, s256(verifier)), {"email": "dana@example.com", "password": PASSWORD})
    confirmed = client.post(relative(link_from_outbox("signup/verify")))
    assert confirmed.status_code == 303
    code = code_from(confirmed.headers["Location"])
    assert browser_exchange(alice_pages, code).json()["code"] == "code_verifier_required"
    assert browser_exchange(alice_pages, code, verifier).status_code == 200


def test_the_challenge_survives_a_password_reset(client, alice_pages):
    verified_user(alice_pages)
    verifier = new_verifier()
    client.post(pkce_url("/signin/forgot", alice_pages, s256(verifier)), {"email": "carol@example.com"})
    done = client.post(relative(link_from_outbox("signin/reset")), {"password": "another-good-pass-991"})
    assert done.status_code == 303
    code = code_from(done.headers["Location"])
    assert browser_exchange(alice_pages, code, new_verifier()).json()["code"] == "invalid_code_verifier"
    assert browser_exchange(alice_pages, code, verifier).status_code == 200


# --- CORS for the browser --------------------------------------------------------------------------


def test_browser_calls_get_cors_for_the_projects_origins_and_backend_calls_never(client, alice_pages):
    verified_user(alice_pages)
    verifier = new_verifier()
    code = pkce_sign_in(client, alice_pages, verifier)
    refused = browser_exchange(alice_pages, code, new_verifier(), HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in refused.headers
    allowed = browser_exchange(alice_pages, code, verifier, HTTP_ORIGIN=APP_ORIGIN)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    backend = alice_pages.api(HTTP_ORIGIN=APP_ORIGIN).post(
        "/api/auth/refresh", {"token": allowed.json()["token"]}, format="json")
    assert backend.status_code == 200
    assert "Access-Control-Allow-Origin" not in backend.headers


def test_the_preflight_allows_a_json_post(client):
    for path in ("/api/auth/exchange", "/api/auth/refresh", "/api/auth/revoke"):
        response = client.options(path, HTTP_ORIGIN=APP_ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                                  HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type")
        assert response.status_code == 204
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
        assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


# --- refresh and sign-out in browser mode -------------------------------------------------------------


def test_refresh_in_browser_mode_needs_the_token_itself(alice_pages, bob):
    end_user = verified_user(alice_pages)
    token = end_user_token_issue(end_user=end_user).token
    refreshed = alice_pages.api(alice_pages.pk).post("/api/auth/refresh", {"token": token}, format="json")
    assert refreshed.status_code == 200
    assert refreshed.json()["customer"]["id"] == end_user.public_id
    by_id = alice_pages.api(alice_pages.pk).post("/api/auth/refresh", {"customerId": end_user.public_id},
                                                 format="json")
    assert (by_id.status_code, by_id.json()["code"]) == (403, "user_token_required")
    # Another project's publishable key with this project's token: refused.
    assert bob.api(bob.pk).post("/api/auth/refresh", {"token": token}, format="json").status_code == 401


def test_a_test_mode_token_is_refused_with_a_live_publishable_key(alice_pages):
    alice_pages.platform.paid_plan_active = True
    alice_pages.platform.save()
    token = end_user_token_issue(end_user=verified_user(alice_pages)).token
    live_pk = alice_pages.keys["live"]["publishableKey"]
    for path in ("/api/auth/refresh", "/api/auth/revoke"):
        assert alice_pages.api(live_pk).post(path, {"token": token}, format="json").status_code == 401


def test_sign_out_in_browser_mode_revokes_the_tokens_own_end_user(alice_pages, bob):
    end_user = verified_user(alice_pages)
    other = verified_user(alice_pages, email="other@example.com")
    token = end_user_token_issue(end_user=end_user).token
    others_token = end_user_token_issue(end_user=other).token
    # Outsiders change nothing: another project's key, or naming an id with the publishable key.
    assert bob.api(bob.pk).post("/api/auth/revoke", {"token": token}, format="json").status_code == 401
    by_id = alice_pages.api(alice_pages.pk).post("/api/auth/revoke", {"customerId": other.public_id}, format="json")
    assert (by_id.status_code, by_id.json()["code"]) == (403, "user_token_required")
    assert not EndUserAuth.objects.filter(token_version__gt=0).exists()

    response = alice_pages.api(alice_pages.pk).post("/api/auth/revoke", {"token": token}, format="json")
    assert response.status_code == 200
    assert response.json()["customerId"] == end_user.public_id
    assert alice_pages.api(HTTP_X_USER_TOKEN=token).get("/api/usage").status_code == 401
    assert alice_pages.api(alice_pages.pk).post("/api/auth/refresh", {"token": token}, format="json"
                                                ).status_code == 401
    assert alice_pages.api(HTTP_X_USER_TOKEN=others_token).get("/api/usage").status_code == 200


# --- concurrency ---------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_32_concurrent_exchanges_of_one_code_give_exactly_one_token(alice_pages):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real concurrent transactions")
    verifier = new_verifier()
    code = issue_code(verified_user(alice_pages), code_challenge=s256(verifier))
    barrier = threading.Barrier(32)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def attempt(key: str):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
            barrier.wait(timeout=30)
            response = client.post("/api/auth/exchange", {"code": code, "redirectUri": REDIRECT,
                                                           "codeVerifier": verifier}, format="json")
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connection.close()

    # Both keys race: a browser and a backend holding the same code and verifier.
    threads = [threading.Thread(target=attempt, args=(alice_pages.pk if i % 2 else alice_pages.sk,))
               for i in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 32
    winners = [body for status, body in results if status == 200]
    assert len(winners) == 1 and winners[0]["token"]
    assert sorted({body["code"] for status, body in results if status != 200}) == ["code_used"]
