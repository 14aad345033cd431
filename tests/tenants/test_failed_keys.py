"""Wrong keys are not free: throttled per client address, remembered briefly, never evicting valid keys."""

import secrets

import pytest
from rest_framework.test import APIClient

from tenants import authentication, keycache
from tenants.ids import key_digest

pytestmark = pytest.mark.django_db


def call(key: str, address: str = "203.0.113.7"):
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client.get("/api/tiers")


def random_key() -> str:
    return "sk_test_" + secrets.token_hex(20)


def test_the_nth_wrong_key_from_one_address_gets_429(alice):
    limit = authentication.FAILED_KEYS_PER_MINUTE
    statuses = [call(random_key()).status_code for _ in range(limit)]
    assert statuses == [401] * limit
    refused = call(random_key())
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_invalid_keys"
    assert int(refused["Retry-After"]) >= 1


def test_other_addresses_are_not_affected(alice):
    for _ in range(authentication.FAILED_KEYS_PER_MINUTE + 1):
        call(random_key())
    assert call(random_key(), address="198.51.100.1").status_code == 401  # its own count
    assert call(alice.sk, address="198.51.100.2").status_code == 200


def test_a_blocked_address_is_refused_before_any_lookup_but_a_cached_valid_key_still_works(
        alice, django_assert_num_queries):
    call(alice.sk)  # the app's key, cached in this process
    for _ in range(authentication.FAILED_KEYS_PER_MINUTE + 1):
        call(random_key())
    with django_assert_num_queries(0):
        assert call(random_key()).status_code == 429
        assert call(alice.pk).status_code == 429  # a valid key, but not cached: no lookup for this address
    with django_assert_num_queries(2):  # the tiers and their features only: the key came from the cache
        assert call(alice.sk).status_code == 200


def test_malformed_keys_count_too(alice):
    for _ in range(authentication.FAILED_KEYS_PER_MINUTE):
        assert call("nonsense").status_code == 401
    assert call("nonsense").status_code == 429


def test_a_missing_key_is_a_401_that_costs_nothing_and_is_not_counted(alice):
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    for _ in range(authentication.FAILED_KEYS_PER_MINUTE + 5):
        assert client.get("/api/tiers").status_code == 401


def test_an_unknown_key_is_remembered_briefly(alice, django_assert_num_queries):
    key = random_key()
    call(key)
    with django_assert_num_queries(0):
        assert call(key).status_code == 401


def test_a_flood_of_unknown_keys_does_not_evict_a_valid_key(alice, django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(keycache, "MAX_UNKNOWN", 100)
    call(alice.sk)
    for _ in range(1000):
        keycache.put(key_digest(random_key()), None)
    assert len(keycache._unknown) == 100
    with django_assert_num_queries(2):  # the tiers and their features only
        assert call(alice.sk, address="198.51.100.3").status_code == 200


def test_the_known_pool_is_a_bounded_lru(monkeypatch):
    monkeypatch.setattr(keycache, "MAX_KNOWN", 3)
    context = object()
    for name in ("a", "b", "c"):
        keycache.put(name, context)
    assert keycache.get("a") == (True, context)  # used: now the most recent
    keycache.put("d", context)
    assert keycache.get("b") == (False, None)  # the least recently used went
    assert all(keycache.get(name)[0] for name in ("a", "c", "d"))
