"""Forgot password → e-mailed link → new password → signed in; the link works once."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from signup.tokens import end_user_token_issue

from .conftest import PASSWORD, REDIRECT, hosted_url, link_from_outbox, relative, verified_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "copper-meadow-sailing-77"


def request_reset(client, tenant, email="carol@example.com"):
    client.post(hosted_url("/signin/forgot", tenant), {"email": email})
    return relative(link_from_outbox("signin/reset"))


def test_reset_sets_the_password_signs_in_and_revokes_old_tokens(client, alice_pages):
    end_user = verified_user(alice_pages)
    old_token = end_user_token_issue(end_user=end_user).token
    link = request_reset(client, alice_pages)
    assert client.get(link).status_code == 200
    weak = client.post(link, {"password": "password"})
    assert weak.status_code == 400
    done = client.post(link, {"password": NEW_PASSWORD})
    assert done.status_code == 303
    assert done.headers["Location"].startswith(REDIRECT + "?code=")
    end_user.refresh_from_db()
    assert check_password(NEW_PASSWORD, end_user.password)
    assert alice_pages.api(HTTP_X_USER_TOKEN=old_token).get("/api/usage").status_code == 401
    signed_in = client.post(hosted_url("/signin", alice_pages), {"email": "carol@example.com",
                                                                 "password": NEW_PASSWORD})
    assert signed_in.status_code == 303


def test_a_reset_link_works_once(client, alice_pages):
    verified_user(alice_pages)
    link = request_reset(client, alice_pages)
    assert client.post(link, {"password": NEW_PASSWORD}).status_code == 303
    again = client.post(link, {"password": "another-fine-password-9"})
    assert again.status_code == 400
    assert "Location" not in again.headers


def test_a_reset_link_expires_after_an_hour(client, alice_pages):
    verified_user(alice_pages)
    link = request_reset(client, alice_pages)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        response = client.post(link, {"password": NEW_PASSWORD})
    assert response.status_code == 400
    assert b"expired" in response.content


def test_a_tampered_reset_link_is_refused(client, alice_pages):
    verified_user(alice_pages)
    link = request_reset(client, alice_pages)
    assert client.get(link[:-3] + "abc").status_code == 400


def test_the_old_password_stops_working(client, alice_pages):
    verified_user(alice_pages)
    client.post(request_reset(client, alice_pages), {"password": NEW_PASSWORD})
    old = client.post(hosted_url("/signin", alice_pages), {"email": "carol@example.com", "password": PASSWORD})
    assert old.status_code == 400
