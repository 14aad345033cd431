import pytest

pytestmark = pytest.mark.django_db

TIER_KEYS = {"id", "name", "displayName", "price", "currency", "interval", "limit", "features", "popular",
             "billingMode", "priceId", "productId", "entitlements", "trialDays", "trialRequiresCard"}


def test_tiers_have_the_original_keys_and_start_with_free(alice):
    tiers = alice.api(alice.pk).get("/api/tiers").json()["tiers"]
    assert [set(t) for t in tiers] == [TIER_KEYS]
    assert tiers[0] == {"id": "free", "name": "free", "displayName": "Free", "price": 0, "currency": "usd",
                        "interval": "month", "limit": 100, "features": ["Basic access"], "popular": False,
                        "billingMode": "subscription", "priceId": "", "productId": "",
                        "entitlements": {"api_calls": 100}, "trialDays": 0, "trialRequiresCard": True}


def test_an_outsider_sees_only_their_own_tiers(alice, bob):
    alice.project.tiers.create(mode="test", slug="secret-pro", name="Alice Pro", price_cents=4200, monthly_limit=9)
    for key in (bob.sk, bob.pk):
        slugs = [t["id"] for t in bob.api(key).get("/api/tiers").json()["tiers"]]
        assert slugs == ["free"]


def test_tiers_are_per_mode(alice):
    alice.platform.paid_plan_active = True
    alice.platform.save()
    alice.project.tiers.create(mode="live", slug="live-only", name="Live", price_cents=100, monthly_limit=1)
    assert "live-only" not in [t["id"] for t in alice.api().get("/api/tiers").json()["tiers"]]
    live = alice.api(alice.keys["live"]["publishableKey"]).get("/api/tiers").json()["tiers"]
    assert "live-only" in [t["id"] for t in live]


def test_tiers_are_listed_in_order_with_two_queries_when_warm(alice, django_assert_num_queries):
    alice.project.tiers.create(mode="test", slug="max", name="Max", price_cents=9900, monthly_limit=None, order=2)
    alice.project.tiers.create(mode="test", slug="pro", name="Pro", price_cents=1900, monthly_limit=1000, order=1)
    client = alice.api(alice.pk)
    client.get("/api/tiers")
    with django_assert_num_queries(2):  # the tiers, and all their features (entitlements)
        tiers = client.get("/api/tiers").json()["tiers"]
    assert [t["id"] for t in tiers] == ["free", "pro", "max"]
    assert tiers[2]["limit"] == "unlimited"
