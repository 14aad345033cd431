"""Managing tiers with the secret key (POST/PATCH/DELETE /api/tiers…): the dashboard's rules,
through the same services; the publishable key still only reads."""

import pytest

from billing.models import Tier
from tenants.models import EndUser
from tests.storefront.conftest import connect_account, quiet_standin, stripe_get  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

PRO = {"name": "pro", "displayName": "Pro", "price": 1900, "limit": 1000, "features": ["Priority support"],
       "popular": True}


@pytest.fixture
def connected(alice, quiet_standin):
    alice.account = connect_account(alice, quiet_standin)
    return alice


def test_a_tier_created_by_script_is_in_stripe_and_listed(connected, quiet_standin):
    response = connected.api().post("/api/tiers", PRO, format="json")
    assert response.status_code == 201, response.content
    tier = response.json()["tier"]
    assert tier == {"id": "pro", "name": "pro", "displayName": "Pro", "price": 1900, "currency": "usd",
                    "interval": "month", "limit": 1000, "features": ["Priority support"], "popular": True,
                    "billingMode": "subscription", "entitlements": {"api_calls": 1000},
                    "priceId": tier["priceId"], "productId": tier["productId"], "order": 0, "default": False,
                    "trialDays": 0, "trialRequiresCard": True}
    price = stripe_get(quiet_standin, connected.account, f"/v1/prices/{tier['priceId']}")
    assert (price["unit_amount"], price["recurring"]["interval"]) == (1900, "month")
    listed = connected.api(connected.pk).get("/api/tiers").json()["tiers"]
    assert [t["id"] for t in listed] == ["free", "pro"]
    assert {k: v for k, v in tier.items() if k not in ("order", "default")} == listed[1]


def test_a_free_tier_needs_no_stripe_account(alice):
    response = alice.api().post("/api/tiers", {"id": "hobby", "limit": None}, format="json")  # id for name
    assert response.status_code == 201
    tier = response.json()["tier"]
    # As GET /api/tiers shows tiers: no Stripe price is "", no limit is "unlimited".
    assert (tier["name"], tier["displayName"], tier["priceId"], tier["limit"]) == ("hobby", "hobby", "", "unlimited")


def test_patch_changes_the_price_with_a_new_stripe_price_and_delete_moves_users(connected, quiet_standin):
    old = connected.api().post("/api/tiers", PRO, format="json").json()["tier"]
    changed = connected.api().patch("/api/tiers/pro", {"price": 2900, "interval": "year"}, format="json")
    assert changed.status_code == 200, changed.content
    new = changed.json()["tier"]
    assert new["priceId"] != old["priceId"] and (new["price"], new["interval"]) == (2900, "year")
    assert stripe_get(quiet_standin, connected.account, f"/v1/prices/{old['priceId']}")["active"] is False

    user = connected.end_user("on-pro@example.com")
    EndUser.objects.filter(pk=user.pk).update(tier=Tier.objects.get(project=connected.project, mode="test", slug="pro"))
    in_use = connected.api().delete("/api/tiers/pro")
    assert in_use.status_code == 409 and in_use.json()["code"] == "tier_in_use"
    nowhere = connected.api().delete("/api/tiers/pro?moveUsersTo=gold")
    assert nowhere.status_code == 400 and nowhere.json()["code"] == "invalid_target_tier"
    deleted = connected.api().delete("/api/tiers/pro?moveUsersTo=free")
    assert deleted.json() == {"success": True, "deleted": True, "id": "pro"}
    user.refresh_from_db()
    assert user.tier.slug == "free"
    assert stripe_get(quiet_standin, connected.account, f"/v1/prices/{new['priceId']}")["active"] is False


def test_the_default_tier_cannot_be_deleted_and_ids_are_unique(alice):
    assert alice.api().delete("/api/tiers/free").json()["code"] == "tier_is_default"
    again = alice.api().post("/api/tiers", {"name": "free", "displayName": "Free again"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "tier_exists"


@pytest.mark.parametrize("body, field", [
    ({"displayName": "No id"}, "name"),
    ({"name": "Pro!"}, "name"),
    ({"id": "a", "name": "b"}, "id"),
    ({"name": "x", "price": -1}, "price"),
    ({"name": "x", "price": "19"}, "price"),
    ({"name": "x", "interval": "week"}, "interval"),
    ({"name": "x", "limit": -5}, "limit"),
    ({"name": "x", "features": "fast"}, "features"),
    ({"name": "x", "trial": 14}, "trial"),
])
def test_bad_tier_input_is_a_400_naming_the_field(alice, body, field):
    response = alice.api().post("/api/tiers", body, format="json")
    assert response.status_code == 400 and field in response.json()["fields"], response.content
    assert list(Tier.objects.filter(project=alice.project, mode="test").values_list("slug", flat=True)) == ["free"]


def test_a_paid_tier_without_a_connected_account_is_saved_for_later(alice):
    response = alice.api().post("/api/tiers", PRO, format="json")
    assert response.status_code == 201 and response.json()["tier"]["priceId"] == ""


def test_patch_refuses_the_id_unknown_fields_and_unknown_tiers(alice):
    assert alice.api().patch("/api/tiers/free", {"id": "gratis"}, format="json").status_code == 400
    assert alice.api().patch("/api/tiers/free", {"name": "gratis"}, format="json").status_code == 400
    assert alice.api().patch("/api/tiers/free", {"limit": 5, "colour": 1}, format="json").status_code == 400
    assert alice.api().patch("/api/tiers/free", {}, format="json").status_code == 400
    missing = alice.api().patch("/api/tiers/gold", {"displayName": "Gold"}, format="json")
    assert missing.status_code == 404 and missing.json()["code"] == "unknown_tier"
    assert Tier.objects.get(project=alice.project, mode="test", slug="free").monthly_limit == 100


def test_stripe_failing_saves_nothing(connected, settings):
    from billing import stripe_api

    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    stripe_api.reset_clients()
    response = connected.api().post("/api/tiers", PRO, format="json")
    assert response.status_code == 503
    assert not Tier.objects.filter(slug="pro").exists()


def test_the_publishable_key_only_reads_and_an_outsider_changes_nothing(alice, bob):
    alice.api().post("/api/tiers", {"name": "team", "displayName": "Team"}, format="json")
    pk = alice.api(alice.pk)
    assert pk.post("/api/tiers", {"name": "x"}, format="json").status_code == 403
    assert pk.patch("/api/tiers/team", {"displayName": "Hacked"}, format="json").status_code == 403
    assert pk.delete("/api/tiers/team").status_code == 403
    assert bob.api().patch("/api/tiers/team", {"displayName": "Hacked"}, format="json").status_code == 404
    assert bob.api().delete("/api/tiers/team").status_code == 404
    assert Tier.objects.get(project=alice.project, slug="team").name == "Team"
    assert pk.get("/api/tiers").status_code == 200
