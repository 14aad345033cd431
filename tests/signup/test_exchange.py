"""POST /api/auth/exchange: a code works once, briefly, for its project, mode and redirect."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from signup.models import SignInCode

from .conftest import REDIRECT, issue_code, verified_user

pytestmark = pytest.mark.django_db


def exchange(tenant, code, redirect=REDIRECT, key=None):
    return tenant.api(key).post("/api/auth/exchange", {"code": code, "redirectUri": redirect}, format="json")


def test_a_code_is_stored_only_as_a_digest(alice_pages):
    code = issue_code(verified_user(alice_pages))
    row = SignInCode.objects.get()
    assert code not in row.digest
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM signup_signincode")
        assert not any(code in str(value) for value in cursor.fetchone())


def test_a_code_works_once(alice_pages):
    code = issue_code(verified_user(alice_pages))
    assert exchange(alice_pages, code).status_code == 200
    again = exchange(alice_pages, code)
    assert again.status_code == 400
    assert again.json()["code"] == "code_used"


def test_an_expired_code_is_refused(alice_pages):
    code = issue_code(verified_user(alice_pages))
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        response = exchange(alice_pages, code)
    assert response.status_code == 400
    assert response.json()["code"] == "code_expired"
    assert response.json()["error"] == "Invalid code"


def test_the_redirect_must_match_exactly(alice_pages):
    code = issue_code(verified_user(alice_pages))
    for other in [REDIRECT + "/", REDIRECT + "?x=1", "https://evil.test/auth/callback"]:
        response = exchange(alice_pages, code, redirect=other)
        assert response.status_code == 400
        assert response.json()["code"] == "redirect_uri_mismatch"
    assert exchange(alice_pages, code).status_code == 200


def test_another_projects_secret_key_cannot_exchange_the_code(alice_pages, bob):
    code = issue_code(verified_user(alice_pages))
    response = exchange(bob, code)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_code"
    assert "customer" not in response.json()
    assert exchange(alice_pages, code).status_code == 200, "a refused attempt must not burn the code"


def test_the_other_modes_secret_key_cannot_exchange_the_code(alice_pages):
    alice_pages.platform.paid_plan_active = True
    alice_pages.platform.save()
    code = issue_code(verified_user(alice_pages))
    response = exchange(alice_pages, code, key=alice_pages.keys["live"]["secretKey"])
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_code"


def test_a_code_issued_without_a_challenge_needs_the_secret_key(alice_pages, api_client):
    code = issue_code(verified_user(alice_pages))
    without_verifier = exchange(alice_pages, code, key=alice_pages.pk)
    assert without_verifier.status_code == 400
    assert without_verifier.json()["code"] == "code_verifier_required"
    with_verifier = alice_pages.api(alice_pages.pk).post(
        "/api/auth/exchange", {"code": code, "redirectUri": REDIRECT, "codeVerifier": "v" * 43}, format="json")
    assert with_verifier.status_code == 403
    assert with_verifier.json()["code"] == "secret_key_required"
    assert api_client.post("/api/auth/exchange", {"code": code, "redirectUri": REDIRECT}, format="json"
                           ).status_code == 401
    assert exchange(alice_pages, code).status_code == 200, "the refused attempts did not burn the code"


def test_bad_input_gets_the_json_error_shape(alice_pages):
    response = alice_pages.api().post("/api/auth/exchange", {"code": 5}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_request"
    assert set(body["fields"]) == {"code", "redirectUri"}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_exchanges_of_one_code_cannot_both_succeed(alice_pages):
    code = issue_code(verified_user(alice_pages))
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def attempt():
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {alice_pages.sk}")
            barrier.wait(timeout=10)
            response = client.post("/api/auth/exchange", {"code": code, "redirectUri": REDIRECT}, format="json")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 400, 400, 400]
