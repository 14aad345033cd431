import hashlib

import pytest
from django.contrib.auth import get_user_model

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
