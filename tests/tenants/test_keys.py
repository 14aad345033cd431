import hashlib
import re

import pytest
from django.db import connection

from tenants.models import ApiKey
from tenants.services import api_key_revoke, api_key_rotate

pytestmark = pytest.mark.django_db

KEY_RE = {
    "publishableKey": re.compile(r"^pk_(test|live)_[A-Za-z0-9]{32}$"),
    "secretKey": re.compile(r"^sk_(test|live)_[A-Za-z0-9]{40}$"),
}


def test_a_project_gets_publishable_and_secret_keys_for_both_modes(alice):
    assert set(alice.keys) == {"test", "live"}
    for mode, pair in alice.keys.items():
        for name, raw in pair.items():
            assert KEY_RE[name].match(raw), raw
            assert raw.split("_")[1] == mode
    all_keys = [raw for pair in alice.keys.values() for raw in pair.values()]
    assert len(set(all_keys)) == 4


def test_secret_keys_are_stored_only_as_a_digest(alice):
    raw = alice.sk
    stored = ApiKey.objects.get(project=alice.project, mode="test", kind="sk")
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert stored.prefix == raw[:14]
    assert stored.publishable_key == ""
    # Nowhere in the database, in any table.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                assert not any(raw in str(value) for value in row), table


def test_the_secret_key_authenticates(alice):
    response = alice.api().get("/api/tiers")
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["tiers"]] == ["free"]


def test_regenerating_a_key_stops_the_old_one_at_once(alice):
    old = alice.sk
    issued = api_key_rotate(project=alice.project, mode="test", kind="sk")
    assert issued.raw != old
    assert alice.api(old).get("/api/tiers").status_code == 401
    assert alice.api(issued.raw).get("/api/tiers").status_code == 200


def test_a_revoked_key_stops_working_even_when_cached(alice):
    assert alice.api().get("/api/tiers").status_code == 200  # now in the in-process cache
    api_key_revoke(api_key=ApiKey.objects.get(project=alice.project, mode="test", kind="sk"))
    assert alice.api().get("/api/tiers").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer sk_test_short",
        "Bearer sk_test_" + "A" * 40,
        "Bearer nonsense",
        "Bearer sk_prod_" + "A" * 40,
    ],
)
def test_missing_malformed_and_unknown_keys_get_the_same_401(db, api_client, header):
    if header is not None:
        api_client.credentials(HTTP_AUTHORIZATION=header)
    response = api_client.get("/api/customers")
    assert response.status_code == 401
    assert response.json() == {
        "error": "Unauthorized",
        "message": "A valid API key is required: send 'Authorization: Bearer sk_…' (or X-Publishable-Key: pk_… "
                   "where a publishable key is enough).",
        "code": "invalid_api_key",
    }
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_key_gets_the_same_401_as_an_unknown_one(alice, api_client):
    api_key_revoke(api_key=ApiKey.objects.get(project=alice.project, mode="test", kind="sk"))
    revoked = alice.api().get("/api/customers")
    api_client.credentials(HTTP_AUTHORIZATION="Bearer sk_test_" + "B" * 40)
    unknown = api_client.get("/api/customers")
    assert revoked.status_code == unknown.status_code == 401
    assert revoked.json() == unknown.json()


def test_x_env_must_agree_with_the_key(alice):
    assert alice.api(HTTP_X_ENV="test").get("/api/tiers").status_code == 200
    response = alice.api(HTTP_X_ENV="live").get("/api/tiers")
    assert response.status_code == 400
    assert response.json()["code"] == "mode_mismatch"
    response = alice.api(HTTP_X_ENV="staging").get("/api/tiers")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_env"


def test_live_keys_are_refused_without_a_paid_plan(alice):
    live = alice.keys["live"]["secretKey"]
    response = alice.api(live).get("/api/tiers")
    assert response.status_code == 403
    assert response.json()["code"] == "live_mode_requires_paid_plan"


def test_live_keys_work_with_a_paid_plan(alice):
    alice.platform.paid_plan_active = True
    alice.platform.save()
    response = alice.api(alice.keys["live"]["secretKey"]).get("/api/tiers")
    assert response.status_code == 200


def test_a_publishable_key_reads_public_endpoints_only(alice):
    assert alice.api(alice.pk).get("/api/tiers").status_code == 200
    response = alice.api(alice.pk).get("/api/customers")
    assert response.status_code == 403
    assert response.json()["code"] == "secret_key_required"
    response = alice.api(alice.pk).post("/api/customers", {"email": "x@example.com"}, format="json")
    assert response.status_code == 403


def test_test_and_live_data_never_mix(alice):
    alice.platform.paid_plan_active = True
    alice.platform.save()
    alice.end_user("only-test@example.com", mode="test")
    live = alice.api(alice.keys["live"]["secretKey"]).get("/api/customers").json()
    test = alice.api().get("/api/customers").json()
    assert [c["email"] for c in test["customers"]] == ["only-test@example.com"]
    assert live["customers"] == []
