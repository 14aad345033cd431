"""Sign-up → e-mail verification → back at the app with a code → exchange → API calls as the end user."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.test import Client
from django.utils import timezone

from signup.models import PendingSignup
from tenants.models import EndUser

from .conftest import PASSWORD, REDIRECT, code_from, hosted_url, link_from_outbox, relative

pytestmark = pytest.mark.django_db


def sign_up(client, tenant, email="dana@example.com", password=PASSWORD):
    return client.post(hosted_url("/signup", tenant), {"email": email, "password": password})


def test_sign_up_verify_exchange_and_call_the_api(client, alice_pages):
    response = sign_up(client, alice_pages)
    assert response.status_code == 200
    assert b"Check your e-mail" in response.content
    # Nothing exists but the pending sign-up until the link is followed.
    assert not EndUser.objects.filter(email="dana@example.com").exists()
    pending = PendingSignup.objects.get(email="dana@example.com")
    assert (pending.project_id, pending.mode) == (alice_pages.project.id, "test")

    link = link_from_outbox("signup/verify")
    page = client.get(relative(link))
    assert page.status_code == 200
    assert b"Confirm and continue" in page.content
    assert b'type="password"' not in page.content, "the browser that signed up is not asked for a password again"
    assert not EndUser.objects.filter(email="dana@example.com").exists(), "a GET (mail scanners) must not use the link"

    confirmed = client.post(relative(link))
    assert confirmed.status_code == 303
    location = confirmed.headers["Location"]
    assert location.startswith(REDIRECT + "?code=")
    end_user = EndUser.objects.get(email="dana@example.com")
    assert (end_user.project_id, end_user.mode, end_user.tier.slug) == (alice_pages.project.id, "test", "free")
    assert end_user.email_verified is True
    assert check_password(PASSWORD, end_user.password)

    exchanged = alice_pages.api().post("/api/auth/exchange", {"code": code_from(location), "redirectUri": REDIRECT},
                                       format="json")
    assert exchanged.status_code == 200, exchanged.json()
    body = exchanged.json()
    assert body["success"] is True
    assert body["customer"]["id"] == end_user.public_id
    assert body["customer"]["email"] == "dana@example.com"
    assert body["customer"]["emailVerified"] is True
    assert body["expiresIn"] == 3600

    usage = alice_pages.api(HTTP_X_USER_TOKEN=body["token"]).get("/api/usage")
    assert usage.status_code == 200, usage.json()
    assert usage.json()["plan"] == "free"
    tracked = alice_pages.api(HTTP_X_USER_TOKEN=body["token"]).post("/api/data")
    assert tracked.status_code == 200
    assert tracked.json()["usage"]["count"] == 1


def test_the_verification_link_signs_in_only_once(client, alice_pages):
    sign_up(client, alice_pages)
    link = relative(link_from_outbox("signup/verify"))
    assert client.post(link).status_code == 303
    again = client.post(link)
    assert again.status_code == 200
    assert "Location" not in again.headers
    assert b"already confirmed" in again.content


def test_the_verification_link_expires_and_can_be_resent(client, alice_pages):
    sign_up(client, alice_pages)
    link = relative(link_from_outbox("signup/verify"))
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        expired = client.post(link)
        assert expired.status_code == 400
        assert b"expired" in expired.content
        assert "Location" not in expired.headers
    mail.outbox.clear()
    resent = client.post(hosted_url("/signup/resend", alice_pages), {"email": "dana@example.com"})
    assert resent.status_code == 200
    assert client.post(relative(link_from_outbox("signup/verify"))).status_code == 303


def test_a_password_that_fails_the_validators_is_refused_accessibly(client, alice_pages):
    response = sign_up(client, alice_pages, password="12345678")
    assert response.status_code == 400
    assert not EndUser.objects.filter(email="dana@example.com").exists()
    html = response.content.decode()
    assert 'role="alert"' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_password_errors id_password_help"' in html
    assert 'id="id_password_errors"' in html
    assert "too common" in html or "entirely numeric" in html


def test_the_pages_carry_the_projects_branding(client, alice_pages):
    settings_row = alice_pages.project.signup_settings
    settings_row.display_name = "Acme Notes"
    settings_row.accent_color = "#ffd43b"
    settings_row.logo_url = "https://cdn.acme.test/logo.png"
    settings_row.save()
    html = client.get(hosted_url("/signin", alice_pages)).content.decode()
    assert "Acme Notes" in html
    assert "--accent: #ffd43b" in html
    assert "--on-accent: #000000" in html  # dark text on a light accent
    assert 'src="https://cdn.acme.test/logo.png"' in html
    assert '<label for="id_email">' in html
    assert 'name="viewport"' in html


def test_an_unverified_end_user_with_the_right_password_gets_a_new_link_not_a_code(client, alice_pages):
    sign_up(client, alice_pages)
    mail.outbox.clear()
    response = client.post(hosted_url("/signin", alice_pages), {"email": "dana@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert link_from_outbox("signup/verify")


def test_confirming_one_sign_up_voids_the_others_of_the_address(client, alice_pages):
    # Pre-account hijacking: whoever registered an address first must not keep access after
    # the owner confirms it. Each sign-up waits apart; the one confirmed wins, with its password.
    attacker = Client()
    sign_up(attacker, alice_pages, password="attacker-pass-9981x")
    attackers_link = relative(link_from_outbox("signup/verify"))
    sign_up(client, alice_pages, password=PASSWORD)
    owners_link = relative(link_from_outbox("signup/verify"))
    assert client.post(owners_link).status_code == 303
    assert client.post(attackers_link).status_code == 200  # "already confirmed", no code
    assert attacker.post(attackers_link).status_code == 200
    assert "Location" not in attacker.post(attackers_link).headers
    refused = attacker.post(hosted_url("/signin", alice_pages), {"email": "dana@example.com",
                                                                  "password": "attacker-pass-9981x"})
    assert refused.status_code == 400
    assert check_password(PASSWORD, EndUser.objects.get(email="dana@example.com").password)


def test_sign_in_redirects_with_a_code(client, alice_pages):
    alice_pages.end_user(email="erin@example.com", password=PASSWORD, email_verified=True)
    response = client.post(hosted_url("/signin", alice_pages), {"email": "ERIN@example.com", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"].startswith(REDIRECT + "?code=")
    wrong = client.post(hosted_url("/signin", alice_pages), {"email": "erin@example.com", "password": "nope-nope-nope"})
    assert wrong.status_code == 400
    assert b"not correct" in wrong.content


def test_live_pages_need_the_developers_paid_plan(client, alice_pages):
    live_pk = alice_pages.keys["live"]["publishableKey"]
    assert client.get(hosted_url("/signup", alice_pages, pk=live_pk)).status_code == 400
    alice_pages.platform.paid_plan_active = True
    alice_pages.platform.save()
    from tenants import keycache

    keycache.clear()
    assert client.get(hosted_url("/signup", alice_pages, pk=live_pk)).status_code == 200


def test_a_project_without_a_default_tier_gets_an_error_page_not_a_500(client, alice_pages):
    from billing.models import Tier

    Tier.objects.filter(project=alice_pages.project, mode="test").update(is_default=False)
    assert sign_up(client, alice_pages).status_code == 200
    response = client.post(relative(link_from_outbox("signup/verify")))
    assert response.status_code == 400
    assert b"no default tier" in response.content
    assert not EndUser.objects.filter(email="dana@example.com").exists()
    # Once the developer fixes it, the same link works (nothing was half-written).
    Tier.objects.filter(project=alice_pages.project, mode="test", slug="free").update(is_default=True)
    assert client.post(relative(link_from_outbox("signup/verify"))).status_code == 303
