"""Client addresses behind our load balancer (TRUSTED_PROXY_COUNT) and the per-address limits
of the hosted pages; the code exchange is limited per project and key, not per address."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import RequestFactory

from dreamapi.clientip import client_ip
from signup import services

from .conftest import REDIRECT, hosted_url, issue_code, verified_user

pytestmark = pytest.mark.django_db

BALANCER = "10.0.0.2"


@pytest.fixture
def one_window():
    with time_machine.travel(datetime(2031, 1, 1, 0, 0, 1, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def request_from(forwarded_for: str | None, remote_addr: str = BALANCER):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/signin", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("198.51.100.7")) == BALANCER


def test_behind_one_proxy_the_address_it_appended_is_the_client(behind_one_proxy):
    assert client_ip(request_from("198.51.100.7")) == "198.51.100.7"
    # Whatever the client wrote itself stays on the left and is never read.
    assert client_ip(request_from("127.0.0.1, 203.0.113.9, 198.51.100.7")) == "198.51.100.7"
    assert client_ip(request_from(None)) == BALANCER  # no header: a health check, not a client
    assert client_ip(request_from("not-an-address")) == ""


def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("6.6.6.6, 198.51.100.7, 10.0.0.9")) == "198.51.100.7"


def _sign_in_attempts(client, tenant, forwarded_for: str, count: int, start: int = 0) -> list[int]:
    url = hosted_url("/signin", tenant)
    return [
        client.post(url, {"email": f"user{i}@example.com", "password": "guess-xyz-1"}, REMOTE_ADDR=BALANCER,
                    HTTP_X_FORWARDED_FOR=forwarded_for).status_code
        for i in range(start, start + count)
    ]


def test_two_clients_behind_the_balancer_have_separate_buckets(client, alice_pages, behind_one_proxy, one_window):
    assert _sign_in_attempts(client, alice_pages, "198.51.100.7", 30) == [400] * 30
    assert _sign_in_attempts(client, alice_pages, "198.51.100.7", 1, start=30) == [429]
    # Another client, through the same balancer (same REMOTE_ADDR), is not blocked.
    assert _sign_in_attempts(client, alice_pages, "198.51.100.8", 1) == [400]


def test_a_client_cannot_choose_its_bucket_with_the_left_most_entry(client, alice_pages, behind_one_proxy,
                                                                     one_window):
    assert _sign_in_attempts(client, alice_pages, "198.51.100.7", 30) == [400] * 30
    # The blocked client writes a fresh address (or its neighbour's) in front of its own:
    # the balancer appends the real one, and that is the bucket.
    for spoofed in ["203.0.113.77, 198.51.100.7", "198.51.100.8, 198.51.100.7"]:
        assert _sign_in_attempts(client, alice_pages, spoofed, 1, start=40) == [429]
    # And its neighbour's bucket was not touched by the attempts that named it.
    assert _sign_in_attempts(client, alice_pages, "198.51.100.8", 1) == [400]


def exchange(tenant, code, **extra):
    return tenant.api(**extra).post("/api/auth/exchange", {"code": code, "redirectUri": REDIRECT}, format="json")


def test_a_flood_of_exchanges_from_one_tenant_does_not_block_another(alice_pages, bob, monkeypatch, one_window):
    monkeypatch.setitem(services.RATE_LIMITS, "exchange:key", (20, 60))
    from .conftest import allow_redirects

    allow_redirects(bob)
    # Both tenants' backends reach us through the same balancer, from the same address.
    same_address = {"REMOTE_ADDR": BALANCER}
    statuses = [exchange(alice_pages, f"junk{i}", **same_address).status_code for i in range(21)]
    assert statuses == [400] * 20 + [429]
    code = issue_code(verified_user(bob))
    response = exchange(bob, code, **same_address)
    assert response.status_code == 200, response.json()


def test_the_exchange_limit_counts_per_key_not_per_address(alice_pages, monkeypatch, one_window):
    monkeypatch.setitem(services.RATE_LIMITS, "exchange:key", (20, 60))
    statuses = [exchange(alice_pages, f"junk{i}", REMOTE_ADDR=f"198.51.100.{i + 1}").status_code for i in range(21)]
    assert statuses == [400] * 20 + [429]
    blocked = exchange(alice_pages, "junk", REMOTE_ADDR="198.51.100.200")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0


def test_browser_exchanges_are_limited_per_address_and_apart_from_the_backends(alice_pages, monkeypatch,
                                                                                one_window):
    monkeypatch.setitem(services.RATE_LIMITS, "browser:ip", (3, 60))
    monkeypatch.setitem(services.RATE_LIMITS, "exchange:key", (5, 60))

    def browser(address):
        return alice_pages.api(alice_pages.pk, REMOTE_ADDR=address).post(
            "/api/auth/exchange", {"code": "junk", "redirectUri": REDIRECT, "codeVerifier": "v" * 43}, format="json"
        ).status_code

    assert [browser("198.51.100.7") for _ in range(4)] == [400, 400, 400, 429]
    assert [browser("198.51.100.8") for _ in range(3)] == [400, 400, 429]  # 3 + 2: the publishable key's bucket
    # The publishable key is public: its flood never uses up the secret key's bucket.
    assert exchange(alice_pages, "junk", REMOTE_ADDR="198.51.100.7").status_code == 400
