import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from billing.models import StripeEvent
from tenants.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = get_user_model().objects.create_superuser("ops", "ops@dream-api.local", "ops-password-123")
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", [
    "tenants/platform", "tenants/project", "tenants/apikey", "tenants/enduser", "billing/tier",
    "billing/stripeconnection", "billing/subscription", "billing/stripeevent", "billing/billingcustomer",
    "usage/usagecounter",
])
def test_every_admin_list_and_search_works(operator, alice, path):
    assert operator.get(f"/admin/{path}/").status_code == 200
    assert operator.get(f"/admin/{path}/", {"q": "x"}).status_code == 200


def test_the_admin_never_shows_a_secret_key(operator, alice):
    key = ApiKey.objects.get(project=alice.project, mode="test", kind="sk")
    pages = [operator.get("/admin/tenants/apikey/").content, operator.get(f"/admin/tenants/apikey/{key.pk}/change/").content,
             operator.get(f"/admin/tenants/project/{alice.project.pk}/change/").content]
    for page in pages:
        assert alice.sk.encode() not in page
        assert hashlib.sha256(alice.sk.encode()).hexdigest().encode() not in page  # not even the digest


def test_the_revoke_action_calls_the_service(operator, alice):
    key = ApiKey.objects.get(project=alice.project, mode="test", kind="sk")
    assert alice.api().get("/api/tiers").status_code == 200
    operator.post("/admin/tenants/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert alice.api().get("/api/tiers").status_code == 401


def test_a_failed_event_can_be_replayed_from_the_admin(operator, django_capture_on_commit_callbacks):
    event = StripeEvent.objects.create(stripe_event_id="evt_1", type="invoice.paid", account_id="acct_gone",
                                       payload={"id": "evt_1", "type": "invoice.paid"}, status="failed",
                                       last_error="boom")
    page = operator.get(f"/admin/billing/stripeevent/{event.pk}/change/").content.decode()
    assert "boom" in page
    with django_capture_on_commit_callbacks(execute=True):
        operator.post("/admin/billing/stripeevent/", {"action": "replay", "_selected_action": [event.pk]})
    event.refresh_from_db()
    # Replayed (eagerly, in tests): nobody has this account connected, so it ends ignored.
    assert event.status == "ignored"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("root", "root@dream-api.local", "root-password-123")


def admin_login(client, password: str, address: str = "203.0.113.5"):
    return client.post("/admin/login/", {"username": "root", "password": password}, REMOTE_ADDR=address)


@override_settings(ADMIN_LOGIN_MAX_FAILURES=3)
def test_admin_login_failures_are_throttled_per_address(client, staff):
    for _ in range(3):
        assert admin_login(client, "wrong").status_code == 200
    # Throttled: even the right password is not checked, so a guess can't be confirmed.
    response = admin_login(client, "root-password-123")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 300
    assert response["Content-Type"].startswith("text/html")
    assert "_auth_user_id" not in client.session
    # Another address is not affected.
    assert admin_login(Client(), "root-password-123", address="203.0.113.9").status_code == 302


@override_settings(ADMIN_LOGIN_MAX_FAILURES=3)
def test_successful_admin_logins_do_not_count(staff):
    for _ in range(5):
        assert admin_login(Client(), "root-password-123").status_code == 302
    assert admin_login(Client(), "wrong").status_code == 200


@override_settings(ADMIN_LOGIN_MAX_FAILURES=2, TRUSTED_PROXY_COUNT=1)
def test_the_admin_throttle_reads_the_client_behind_the_proxy(client, staff):
    for _ in range(2):
        client.post("/admin/login/", {"username": "root", "password": "wrong"}, HTTP_X_FORWARDED_FOR="198.51.100.7")
    blocked = client.post("/admin/login/", {"username": "root", "password": "wrong"}, HTTP_X_FORWARDED_FOR="198.51.100.7")
    other = client.post("/admin/login/", {"username": "root", "password": "wrong"}, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert (blocked.status_code, other.status_code) == (429, 200)
