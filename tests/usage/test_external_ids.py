"""End users named by the app's own ids (externalId), and created on first use."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client

from tenants import keycache
from tenants.models import EndUser
from tenants.services import project_create
from usage.models import UsageCounter

pytestmark = pytest.mark.django_db


def create(tenant, **body):
    return tenant.api().post("/api/customers", {"email": "a@example.com", **body}, format="json")


def test_a_customer_can_carry_the_apps_own_id(alice):
    response = create(alice, externalId="auth0|12345")
    assert response.status_code == 201
    assert response.json()["customer"]["externalId"] == "auth0|12345"
    got = alice.api().get("/api/customers/auth0|12345")
    assert got.status_code == 200 and got.json()["customer"]["id"] == response.json()["customer"]["id"]


def test_an_external_id_is_unique_per_project_and_mode(alice, bob):
    assert create(alice, externalId="u-1").status_code == 201
    response = create(alice, email="b@example.com", externalId="u-1")
    assert response.status_code == 409 and response.json()["code"] == "external_id_exists"
    assert create(bob, externalId="u-1").status_code == 201


@pytest.mark.parametrize("value", ["usr_looksLikeOurs", "", "with space", "-leading", "x" * 129, "é", 42, None])
def test_a_bad_external_id_is_a_400_naming_the_field(alice, value):
    response = create(alice, externalId=value)
    assert response.status_code == 400
    assert "externalId" in response.json()["fields"]
    assert not EndUser.objects.exists()


def test_x_user_id_may_carry_the_external_id(alice):
    user = alice.end_user(external_id="app-user-9")
    client = alice.api(HTTP_X_USER_ID="app-user-9")
    assert client.post("/api/data").json()["usage"]["userId"] == user.public_id
    assert client.get("/api/usage").json()["usageCount"] == 1
    assert alice.api(HTTP_X_USER_ID=user.public_id).get("/api/usage").json()["usageCount"] == 1


def test_a_known_external_id_is_one_round_trip(alice, django_assert_num_queries):
    alice.end_user(external_id="app-user-9")
    client = alice.api(HTTP_X_USER_ID="app-user-9")
    client.post("/api/data")  # warms the key cache
    with django_assert_num_queries(1):
        assert client.post("/api/data").status_code == 200


def test_an_unknown_external_id_creates_the_end_user_on_first_use(alice):
    assert alice.project.auto_create_end_users is True  # new projects: on
    client = alice.api(HTTP_X_USER_ID="new-user-1")
    assert client.get("/api/usage").status_code == 404  # reading never creates
    response = client.post("/api/data")
    assert response.status_code == 200, response.content
    user = EndUser.objects.get(external_id="new-user-1")
    assert (user.project_id, user.mode, user.tier.slug, user.email) == (alice.project.id, "test", "free", "")
    assert response.json()["usage"] == {**response.json()["usage"], "userId": user.public_id, "usageCount": 1}
    assert client.post("/api/data").json()["usage"]["usageCount"] == 2
    assert EndUser.objects.count() == 1


def test_a_created_end_user_on_a_zero_limit_tier_is_refused_but_exists(alice):
    alice.project.tiers.filter(slug="free", mode="test").update(monthly_limit=0)
    response = alice.api(HTTP_X_USER_ID="new-user-2").post("/api/data")
    assert response.status_code == 403 and response.json()["code"] == "tier_limit_reached"
    assert EndUser.objects.filter(external_id="new-user-2").count() == 1


def test_with_the_setting_off_an_unknown_external_id_is_a_404(alice):
    alice.project.auto_create_end_users = False
    alice.project.save()
    keycache.clear()
    response = alice.api(HTTP_X_USER_ID="new-user-3").post("/api/data")
    assert response.status_code == 404 and response.json()["code"] == "end_user_not_found"
    assert not EndUser.objects.exists()


def test_an_unknown_usr_id_is_never_created(alice):
    response = alice.api(HTTP_X_USER_ID="usr_AAAAAAAAAAAAAAAAAA").post("/api/data")
    assert response.status_code == 404
    assert not EndUser.objects.exists()


def test_another_projects_key_never_reaches_this_projects_external_id(alice, bob):
    mine = alice.end_user(external_id="shared-id")
    alice.api(HTTP_X_USER_ID="shared-id").post("/api/data")
    assert bob.api().get("/api/customers/shared-id").status_code == 404
    bob.project.auto_create_end_users = False
    bob.project.save()
    keycache.clear()
    assert bob.api(HTTP_X_USER_ID="shared-id").post("/api/data").status_code == 404
    assert UsageCounter.objects.get(end_user=mine).count == 1
    assert EndUser.objects.count() == 1


def test_existing_projects_keep_the_404_until_their_developer_opts_in(alice):
    """The migration adds the setting off for projects that existed before it; new ones get it on."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.loader.graph.forwards_plan(("tenants", "0004_end_user_external_id"))
    field = next(op for op in executor.loader.get_migration("tenants", "0004_end_user_external_id").operations
                 if getattr(op, "name", "") == "auto_create_end_users")
    assert ("tenants", "0004_end_user_external_id") in plan
    assert field.field.default is False
    project, _ = project_create(platform=alice.platform, name="Later")
    assert project.auto_create_end_users is True


@pytest.mark.django_db(transaction=True)
def test_32_concurrent_first_calls_for_one_external_id_create_one_end_user(alice):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent writers")
    alice.project.rate_limit_per_minute = 10_000
    alice.project.save()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {alice.sk}", "HTTP_X_USER_ID": "burst-user"}
    start = threading.Barrier(32)

    def call(_):
        try:
            start.wait()
            return Client().post("/api/data", **headers).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = list(pool.map(call, range(32)))
    assert statuses == [200] * 32
    user = EndUser.objects.get(external_id="burst-user")
    assert EndUser.objects.filter(project=alice.project).count() == 1
    assert UsageCounter.objects.get(end_user=user).count == 32
