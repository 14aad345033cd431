"""CSRF, rate limits and no account enumeration on the hosted pages."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client

from .conftest import PASSWORD, hosted_url, verified_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_window():
    """Rate limits count in fixed windows; stop the clock at a window's start so a test's
    requests cannot straddle two windows (and see the count reset halfway)."""
    with time_machine.travel(datetime(2031, 1, 1, 0, 0, 1, tzinfo=UTC), tick=False):
        yield


def _normalized(response, email: str) -> str:
    """The page as a visitor compares it: without the e-mail they typed and the CSRF token."""
    html = response.content.decode().replace(email, "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_every_form_needs_the_csrf_token(alice_pages):
    client = Client(enforce_csrf_checks=True)
    verified_user(alice_pages)
    for path, data in [
        ("/signup", {"email": "x@example.com", "password": PASSWORD}),
        ("/signin", {"email": "carol@example.com", "password": PASSWORD}),
        ("/signin/forgot", {"email": "carol@example.com"}),
        ("/signup/resend", {"email": "carol@example.com"}),
    ]:
        response = client.post(hosted_url(path, alice_pages), data)
        assert response.status_code == 403, path
    assert not mail.outbox


def test_sign_up_does_not_reveal_whether_an_email_is_registered(client, alice_pages):
    verified_user(alice_pages, email="known@example.com")
    known = client.post(hosted_url("/signup", alice_pages), {"email": "known@example.com", "password": PASSWORD})
    unknown = client.post(hosted_url("/signup", alice_pages), {"email": "unknown@example.com", "password": PASSWORD})
    assert known.status_code == unknown.status_code == 200
    assert _normalized(known, "known@example.com") == _normalized(unknown, "unknown@example.com")
    # The mailbox tells its owner which it was.
    assert [m.subject.split(" · ")[0] for m in mail.outbox] == ["You already have an account",
                                                                 "Confirm your e-mail address"]
    assert mail.outbox[0].to == ["known@example.com"]


def test_password_reset_does_not_reveal_whether_an_email_is_registered(client, alice_pages):
    verified_user(alice_pages, email="known@example.com")
    known = client.post(hosted_url("/signin/forgot", alice_pages), {"email": "known@example.com"})
    unknown = client.post(hosted_url("/signin/forgot", alice_pages), {"email": "unknown@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert _normalized(known, "known@example.com") == _normalized(unknown, "unknown@example.com")
    assert b"If an account exists" in known.content
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["known@example.com"]


def test_sign_in_failures_look_the_same_for_unknown_and_known_emails(client, alice_pages):
    verified_user(alice_pages, email="known@example.com")
    known = client.post(hosted_url("/signin", alice_pages), {"email": "known@example.com", "password": "wrong-guess-1"})
    unknown = client.post(hosted_url("/signin", alice_pages), {"email": "unknown@example.com",
                                                               "password": "wrong-guess-1"})
    assert known.status_code == unknown.status_code == 400
    assert _normalized(known, "known@example.com") == _normalized(unknown, "unknown@example.com")


def test_brute_force_on_one_account_is_rate_limited(client, alice_pages, one_window):
    verified_user(alice_pages)
    url = hosted_url("/signin", alice_pages)
    statuses = [client.post(url, {"email": "carol@example.com", "password": f"guess-{i}-xyz"}).status_code
                for i in range(10)]
    assert statuses == [400] * 10
    blocked = client.post(url, {"email": "carol@example.com", "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert b"Too many attempts" in blocked.content
    assert "Location" not in blocked.headers, "not even the right password gets through while blocked"
    # Other accounts are not locked out by it (the per-IP limit is higher).
    verified_user(alice_pages, email="dave@example.com")
    assert client.post(url, {"email": "dave@example.com", "password": PASSWORD}).status_code == 303


def test_brute_force_from_one_ip_across_accounts_is_rate_limited(client, alice_pages, one_window):
    url = hosted_url("/signin", alice_pages)
    statuses = [client.post(url, {"email": f"user{i}@example.com", "password": "guess-xyz-1"}).status_code
                for i in range(31)]
    assert statuses[:30] == [400] * 30
    assert statuses[30] == 429
    other_ip = client.post(url, {"email": "user0@example.com", "password": "guess-xyz-1"}, REMOTE_ADDR="10.9.8.7")
    assert other_ip.status_code == 400


def test_reset_requests_are_rate_limited_per_email(client, alice_pages, one_window):
    verified_user(alice_pages)
    url = hosted_url("/signin/forgot", alice_pages)
    statuses = [client.post(url, {"email": "carol@example.com"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert len(mail.outbox) == 3
