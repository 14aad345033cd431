"""The dashboard's features editor (tier form) and webhook pages."""

import json

import pytest

from tests.webhooks.receiver import receiver  # noqa: F401  (the HTTPS receiver fixture)
from usage.entitlements import entitlement_version
from usage.models import TierFeature
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_create, webhook_endpoint_secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_browser(client, alice):
    client.force_login(alice.user)
    return client


def tier_post(rows, **fields):
    data = {"slug": "pro", "name": "Pro", "price_cents": 1900, "currency": "usd", "interval": "month",
            "monthly_limit": 10000, "features": "", "order": 1, "mode": "test",
            "feature-TOTAL_FORMS": str(len(rows)), "feature-INITIAL_FORMS": "0", "feature-MIN_NUM_FORMS": "0",
            "feature-MAX_NUM_FORMS": "50", **fields}
    for i, row in enumerate(rows):
        data.update({f"feature-{i}-{name}": value for name, value in row.items()})
    return data


def test_a_tier_gets_features_from_its_form_and_shows_them_in_the_api(alice_browser, alice):
    base = f"/dashboard/projects/{alice.project.public_id}/tiers"
    response = alice_browser.post(f"{base}/new/?mode=test", tier_post([
        {"key": "exports", "kind": "metered", "limit": "50"},
        {"key": "storage", "kind": "metered", "limit": ""},
        {"key": "sso", "kind": "boolean", "enabled": "on"},
        {"key": "", "kind": "metered", "limit": ""},  # a blank row adds nothing
    ]))
    assert response.status_code == 302, response.content.decode()[:2000]
    pro = next(t for t in alice.api().get("/api/tiers").json()["tiers"] if t["id"] == "pro")
    assert pro["entitlements"] == {"api_calls": 10000, "exports": 50, "sso": True, "storage": "unlimited"}
    page = alice_browser.get(f"{base}/pro/?mode=test").content.decode()
    assert 'value="exports"' in page and 'value="sso"' in page
    user = alice.end_user(plan="pro")
    # Edit: remove storage, change exports, raise the calls: the tier's end users get a new version.
    alice_browser.post(f"{base}/pro/?mode=test", tier_post([
        {"key": "exports", "kind": "metered", "limit": "60"},
        {"key": "storage", "kind": "metered", "limit": "", "DELETE": "on"},
        {"key": "sso", "kind": "boolean", "enabled": "on"},
    ], **{"feature-INITIAL_FORMS": "3"}))
    assert dict(TierFeature.objects.filter(tier__slug="pro").values_list("key", "period_limit")) == {
        "exports": 60, "sso": None}
    assert entitlement_version(end_user_id=user.id) == 2


def test_a_refused_feature_saves_nothing(alice_browser, alice):
    base = f"/dashboard/projects/{alice.project.public_id}/tiers"
    alice_browser.post(f"{base}/free/?mode=test", tier_post([{"key": "sso", "kind": "boolean", "enabled": "on"}],
                                                            slug="free", name="Free", price_cents=0,
                                                            monthly_limit=100))
    response = alice_browser.post(f"{base}/new/?mode=test", tier_post([{"key": "sso", "kind": "metered",
                                                                          "limit": "5"}]))
    assert response.status_code == 200
    assert "boolean in another tier" in response.content.decode()
    assert not alice.project.tiers.filter(slug="pro").exists()
    response = alice_browser.post(f"{base}/new/?mode=test", tier_post([{"key": "api_calls", "kind": "metered",
                                                                          "limit": "5"}]))
    assert "default meter" in response.content.decode()


def test_the_old_form_without_the_editor_keeps_the_features(alice_browser, alice):
    base = f"/dashboard/projects/{alice.project.public_id}/tiers"
    alice_browser.post(f"{base}/new/?mode=test", tier_post([{"key": "exports", "kind": "metered", "limit": "5"}]))
    old_form = {k: v for k, v in tier_post([], name="Pro 2").items() if not k.startswith("feature-")}
    assert alice_browser.post(f"{base}/pro/?mode=test", old_form).status_code == 302
    assert TierFeature.objects.filter(tier__slug="pro", key="exports").exists()


# --- webhooks --------------------------------------------------------------------------------


def test_an_endpoint_is_created_edited_and_deleted_with_confirmation(alice_browser, alice, receiver):
    base = f"/dashboard/projects/{alice.project.public_id}/webhooks"
    assert alice_browser.get(f"{base}/?mode=test").status_code == 200
    response = alice_browser.post(f"{base}/new/?mode=test", {
        "mode": "test", "url": receiver.url, "description": "prod server",
        "event_types": ["usage.threshold_reached", "customer.created"], "thresholds": "80, 100", "enabled": "on"})
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.mode, endpoint.event_types, endpoint.thresholds) == (
        "test", ["usage.threshold_reached", "customer.created"], [80, 100])
    detail = alice_browser.get(response["Location"]).content.decode()
    assert webhook_endpoint_secret(endpoint=endpoint) in detail
    response = alice_browser.post(f"{base}/{endpoint.public_id}/edit/?mode=test", {
        "mode": "test", "url": receiver.url, "event_types": ["plan.changed"], "thresholds": ""})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.event_types, endpoint.enabled) == (["plan.changed"], False)
    confirm = alice_browser.get(f"{base}/{endpoint.public_id}/delete/?mode=test")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    assert WebhookEndpoint.objects.exists()
    alice_browser.post(f"{base}/{endpoint.public_id}/delete/?mode=test", {"mode": "test"})
    assert not WebhookEndpoint.objects.exists()


def test_a_private_url_is_refused_on_the_form(alice_browser, alice, settings):
    settings.SAFEHTTP_ALLOW_LOOPBACK = False
    response = alice_browser.post(f"/dashboard/projects/{alice.project.public_id}/webhooks/new/?mode=test", {
        "mode": "test", "url": "https://127.0.0.1/hook", "event_types": ["customer.created"], "thresholds": ""})
    assert response.status_code == 200
    assert "not on the public internet" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_deliveries_show_their_answers_and_can_be_replayed(alice_browser, alice, receiver,
                                                         django_capture_on_commit_callbacks):
    receiver.statuses = [500, 200]
    receiver.answer = b'{"error": "database down"}'
    endpoint = webhook_endpoint_create(project=alice.project, mode="test", url=receiver.url,
                                       event_types=["customer.created"])
    with django_capture_on_commit_callbacks(execute=True):
        alice.api().post("/api/customers", {"email": "carol@example.com"}, format="json")
    delivery = WebhookDelivery.objects.get()
    base = f"/dashboard/projects/{alice.project.public_id}/webhooks/{endpoint.public_id}"
    listing = alice_browser.get(f"{base}/?mode=test").content.decode()
    assert delivery.public_id in listing and "500" in listing
    page = alice_browser.get(f"{base}/deliveries/{delivery.public_id}/?mode=test").content.decode()
    assert "database down" in page and "customer.created" in page and "carol@example.com" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_browser.post(f"{base}/deliveries/{delivery.public_id}/replay/", {"mode": "test"})
    assert response.status_code == 302
    assert WebhookDelivery.objects.filter(replay_of=delivery, status="succeeded").exists()
    assert json.loads(receiver.requests[1].body)["id"] == json.loads(receiver.requests[0].body)["id"]


def test_rotating_the_secret_from_the_dashboard(alice_browser, alice, receiver):
    endpoint = webhook_endpoint_create(project=alice.project, mode="test", url=receiver.url,
                                       event_types=["customer.created"])
    old = webhook_endpoint_secret(endpoint=endpoint)
    base = f"/dashboard/projects/{alice.project.public_id}/webhooks/{endpoint.public_id}"
    alice_browser.post(f"{base}/rotate/", {"mode": "test"})
    endpoint.refresh_from_db()
    assert webhook_endpoint_secret(endpoint=endpoint) != old and endpoint.previous_secret_expires_at is not None
    alice_browser.post(f"{base}/rotate/", {"mode": "test", "now": "1"})
    endpoint.refresh_from_db()
    assert endpoint.previous_secret_encrypted == ""


@pytest.mark.parametrize("method,suffix,data", [
    ("get", "/", None), ("get", "/edit/", None), ("post", "/edit/", {"url": "https://evil.example/x",
                                                                    "event_types": ["customer.created"]}),
    ("get", "/delete/", None), ("post", "/delete/", {"mode": "test"}), ("post", "/rotate/", {"mode": "test"}),
    ("get", "/deliveries/{delivery}/", None), ("post", "/deliveries/{delivery}/replay/", {"mode": "test"}),
])
def test_another_developer_gets_404_on_every_webhook_page(client, alice, bob, receiver, method, suffix, data,
                                                          django_capture_on_commit_callbacks):
    endpoint = webhook_endpoint_create(project=alice.project, mode="test", url=receiver.url,
                                       event_types=["customer.created"])
    with django_capture_on_commit_callbacks(execute=True):
        alice.api().post("/api/customers", {"email": "carol@example.com"}, format="json")
    delivery = WebhookDelivery.objects.get()
    secret = webhook_endpoint_secret(endpoint=endpoint)
    client.force_login(bob.user)
    for project in (alice.project, bob.project):  # alice's project, and alice's endpoint under bob's own project
        url = (f"/dashboard/projects/{project.public_id}/webhooks/{endpoint.public_id}"
               + suffix.format(delivery=delivery.public_id))
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
        assert response.status_code == 404
        assert secret not in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.url == receiver.url and webhook_endpoint_secret(endpoint=endpoint) == secret
    assert WebhookDelivery.objects.count() == 1
    assert client.get(f"/dashboard/projects/{alice.project.public_id}/webhooks/").status_code == 404
    assert client.post(f"/dashboard/projects/{alice.project.public_id}/webhooks/new/", {
        "url": receiver.url, "event_types": ["customer.created"]}).status_code == 404
