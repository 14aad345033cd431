"""Issue 8 item 1: an anonymous sign-up must never change an existing account.

Every end user created with POST /api/customers is unconfirmed until they follow a link, so
a stranger who signs up with their address first is the attack: their password must not
reach the account (even when the owner follows the link they caused), and the owner must
neither be locked out nor lose their own way in."""

import pytest
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.test import Client

from signup.models import PendingSignup
from tenants.models import EndUser

from .conftest import PASSWORD, REDIRECT, hosted_url, link_from_outbox, relative

pytestmark = pytest.mark.django_db

VICTIM = "victim@example.com"
ATTACKER_PASSWORD = "attacker-chosen-pass-7781"
OWNER_PASSWORD = "owner-own-secret-pass-5521"


@pytest.fixture
def imported_user(alice_pages):
    """An end user the developer created with the API, with the password it gave them."""
    response = alice_pages.api().post("/api/customers", {"email": VICTIM, "password": PASSWORD}, format="json")
    assert response.status_code == 201, response.json()
    end_user = EndUser.objects.get(email=VICTIM)
    assert end_user.email_verified is False
    return end_user


def attacker_signs_up(tenant) -> tuple[Client, str]:
    attacker = Client()
    mail.outbox.clear()
    response = attacker.post(hosted_url("/signup", tenant), {"email": VICTIM, "password": ATTACKER_PASSWORD})
    assert response.status_code == 200
    return attacker, relative(link_from_outbox("signup/verify"))


def sign_in(client, tenant, password):
    return client.post(hosted_url("/signin", tenant), {"email": VICTIM, "password": password})


def test_a_strangers_sign_up_leaves_the_account_unchanged(alice_pages, imported_user):
    before = EndUser.objects.values().get(pk=imported_user.pk)
    attacker_signs_up(alice_pages)
    after = EndUser.objects.values().get(pk=imported_user.pk)
    assert after == before
    assert check_password(PASSWORD, after["password"])
    assert not check_password(ATTACKER_PASSWORD, after["password"])


def test_the_owner_is_not_locked_out_by_it(alice_pages, imported_user):
    attacker_signs_up(alice_pages)
    owner = Client()
    mail.outbox.clear()
    # The owner's own password is still the right one: they are asked to confirm the address.
    response = sign_in(owner, alice_pages, PASSWORD)
    assert response.status_code == 200
    assert b"confirm your e-mail address first" in response.content
    assert client_follows(owner, link_from_outbox("signup/verify")).status_code == 303
    assert sign_in(owner, alice_pages, PASSWORD).status_code == 303
    assert sign_in(Client(), alice_pages, ATTACKER_PASSWORD).status_code == 400


def client_follows(client, link, **data):
    return client.post(relative(link), data)


def test_following_the_strangers_link_makes_the_owner_choose_their_own_password(alice_pages, imported_user):
    attacker, link = attacker_signs_up(alice_pages)
    owner = Client()  # the owner's browser: not the one that signed up
    page = owner.get(link)
    assert page.status_code == 200
    assert b"Choose a password" in page.content
    # Confirming without a password does nothing.
    assert owner.post(link).status_code == 400
    assert EndUser.objects.get(pk=imported_user.pk).email_verified is False
    confirmed = owner.post(link, {"password": OWNER_PASSWORD})
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"].startswith(REDIRECT + "?code=")
    account = EndUser.objects.get(pk=imported_user.pk)
    assert account.email_verified is True
    assert check_password(OWNER_PASSWORD, account.password)
    assert sign_in(attacker, alice_pages, ATTACKER_PASSWORD).status_code == 400
    assert sign_in(owner, alice_pages, OWNER_PASSWORD).status_code == 303


def test_the_strangers_own_browser_cannot_confirm_without_the_mailbox(alice_pages, imported_user):
    attacker, _link = attacker_signs_up(alice_pages)
    # The attacker never sees the link (it went to the owner). Signing in with their password
    # only sends the owner another link.
    mail.outbox.clear()
    assert sign_in(attacker, alice_pages, ATTACKER_PASSWORD).status_code == 200
    assert mail.outbox[-1].to == [VICTIM]
    assert sign_in(attacker, alice_pages, ATTACKER_PASSWORD).status_code == 200
    assert not EndUser.objects.get(pk=imported_user.pk).email_verified


def test_the_owners_own_sign_up_claims_the_account_and_voids_the_strangers(alice_pages, imported_user):
    _attacker, attackers_link = attacker_signs_up(alice_pages)
    owner = Client()
    mail.outbox.clear()
    assert owner.post(hosted_url("/signup", alice_pages), {"email": VICTIM, "password": OWNER_PASSWORD}
                      ).status_code == 200
    owners_link = relative(link_from_outbox("signup/verify"))
    assert owner.post(owners_link).status_code == 303  # same browser: its own password, no question
    account = EndUser.objects.get(pk=imported_user.pk)
    assert check_password(OWNER_PASSWORD, account.password) and account.email_verified
    assert EndUser.objects.filter(email__iexact=VICTIM).count() == 1
    assert PendingSignup.objects.get(pk__isnull=False, password__isnull=False, confirmed_at__isnull=False).email == VICTIM
    assert PendingSignup.objects.filter(voided_at__isnull=False).count() == 1
    # The stranger's link is dead: it shows "already confirmed" and issues no code.
    response = Client().post(attackers_link, {"password": "whatever-pass-123"})
    assert "Location" not in response.headers


def test_api_created_users_without_a_password_can_set_one(alice_pages):
    assert alice_pages.api().post("/api/customers", {"email": VICTIM}, format="json").status_code == 201
    owner = Client()
    # Signing in is impossible without a password, and says nothing more than for a stranger.
    assert sign_in(owner, alice_pages, "anything-at-all-1").status_code == 400
    mail.outbox.clear()
    response = owner.post(hosted_url("/signin/forgot", alice_pages), {"email": VICTIM})
    assert response.status_code == 200
    assert mail.outbox[-1].subject.startswith("Set your password")
    reset_link = relative(link_from_outbox("signin/reset"))
    page = owner.get(reset_link)
    assert b"Set your password" in page.content
    done = owner.post(reset_link, {"password": OWNER_PASSWORD})
    assert done.status_code == 303
    account = EndUser.objects.get(email=VICTIM)
    assert account.email_verified and check_password(OWNER_PASSWORD, account.password)


def test_a_sign_up_on_an_account_without_a_password_sets_it_only_through_the_link(alice_pages):
    assert alice_pages.api().post("/api/customers", {"email": VICTIM}, format="json").status_code == 201
    attacker, link = attacker_signs_up(alice_pages)
    assert EndUser.objects.get(email=VICTIM).password == ""
    owner = Client()
    assert owner.post(link, {"password": OWNER_PASSWORD}).status_code == 303
    assert check_password(OWNER_PASSWORD, EndUser.objects.get(email=VICTIM).password)


def test_claiming_an_account_with_a_new_password_revokes_its_earlier_tokens(alice_pages, imported_user):
    token = alice_pages.api().post("/api/auth/refresh", {"customerId": imported_user.public_id}, format="json"
                                   ).json()["token"]
    _attacker, link = attacker_signs_up(alice_pages)
    assert Client().post(link, {"password": OWNER_PASSWORD}).status_code == 303
    assert alice_pages.api(HTTP_X_USER_TOKEN=token).get("/api/usage").status_code == 401
