import re

import pytest
from django.core import mail

from tenants.models import ApiKey, Platform, Project

pytestmark = pytest.mark.django_db


def test_a_new_developer_signs_up_verifies_and_gets_a_platform(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "erin@example.com", "password1": "erin-very-secret-1", "password2": "erin-very-secret-1"},
    )
    assert response.status_code == 302
    assert Platform.objects.filter(owner__email="erin@example.com").exists()
    # Mandatory verification: the dashboard is not reachable before the link is followed.
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[-1] if "testserver" in link else "/" + link.split("/", 3)[3]
    response = client.post(path)
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_a_developer_creates_a_project_and_sees_its_secret_key_once(alice_browser, alice):
    response = alice_browser.post("/dashboard/", {"name": "Second app", "kind": "saas"})
    assert response.status_code == 200
    body = response.content.decode()
    secret = re.search(r"sk_test_[A-Za-z0-9]{40}", body).group(0)
    project = Project.objects.get(name="Second app")
    assert alice_browser.get("/api/tiers", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    page = alice_browser.get(f"/dashboard/projects/{project.public_id}/").content.decode()
    assert secret not in page
    assert secret[:14] in page  # the display prefix only


def test_regenerate_from_the_dashboard_replaces_the_key(alice_browser, alice):
    url = f"/dashboard/projects/{alice.project.public_id}/keys/regenerate/"
    response = alice_browser.post(url, {"mode": "test", "kind": "sk"})
    new = re.search(r"sk_test_[A-Za-z0-9]{40}", response.content.decode()).group(0)
    assert alice.api().get("/api/tiers").status_code == 401
    assert alice.api(new).get("/api/tiers").status_code == 200


def test_revoke_from_the_dashboard(alice_browser, alice):
    alice_browser.post(f"/dashboard/projects/{alice.project.public_id}/keys/revoke/", {"mode": "test", "kind": "sk"})
    assert alice.api().get("/api/tiers").status_code == 401
    assert not ApiKey.objects.filter(project=alice.project, mode="test", kind="sk", revoked_at__isnull=True).exists()


def test_rename_and_delete_with_confirmation(alice_browser, alice):
    base = f"/dashboard/projects/{alice.project.public_id}"
    alice_browser.post(f"{base}/settings/", {"name": "Renamed", "rate_limit_per_minute": 50, "allowed_origins": "",
                                             "key_rate_limit_per_minute": 600})
    alice.project.refresh_from_db()
    assert alice.project.name == "Renamed" and alice.project.rate_limit_per_minute == 50
    assert alice.project.key_rate_limit_per_minute == 600
    alice_browser.post(f"{base}/settings/", {"name": "Renamed", "rate_limit_per_minute": 50, "allowed_origins": ""})
    alice.project.refresh_from_db()
    assert alice.project.key_rate_limit_per_minute is None  # emptied: no per-key limit
    alice_browser.post(f"{base}/delete/", {"confirm_name": "wrong"})
    assert Project.objects.filter(pk=alice.project.pk).exists()
    alice_browser.post(f"{base}/delete/", {"confirm_name": "Renamed"})
    assert not Project.objects.filter(pk=alice.project.pk).exists()
    assert alice.api().get("/api/tiers").status_code == 401


@pytest.mark.parametrize(
    "method,suffix,data",
    [
        ("get", "/", None),
        ("get", "/settings/", None),
        ("post", "/settings/", {"name": "pwned", "rate_limit_per_minute": 1}),
        ("get", "/delete/", None),
        ("post", "/delete/", {"confirm_name": "Alice's app"}),
        ("post", "/keys/regenerate/", {"mode": "test", "kind": "sk"}),
        ("post", "/keys/revoke/", {"mode": "test", "kind": "sk"}),
        ("get", "/tiers/new/", None),
        ("post", "/tiers/new/", {"slug": "x", "name": "X", "price_cents": 0, "currency": "usd", "interval": "month", "order": 0}),
        ("get", "/tiers/free/", None),
        ("post", "/tiers/free/default/", {"mode": "test"}),
    ],
)
def test_another_developer_gets_404_on_every_project_page(client, alice, bob, method, suffix, data):
    client.force_login(bob.user)
    url = f"/dashboard/projects/{alice.project.public_id}{suffix}"
    response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
    assert response.status_code == 404
    alice.project.refresh_from_db()
    assert alice.project.name == "Alice's app"
    assert alice.api().get("/api/tiers").status_code == 200


def test_the_dashboard_needs_a_login(client, alice):
    response = client.get(f"/dashboard/projects/{alice.project.public_id}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_end_user_list_shows_usage_and_paginates(alice_browser, alice):
    users = [alice.end_user(f"user{i:02d}@example.com") for i in range(30)]
    for _ in range(3):
        alice.api(HTTP_X_USER_ID=users[-1].public_id).post("/api/data")
    base = f"/dashboard/projects/{alice.project.public_id}/users/"
    page1 = alice_browser.get(base).content.decode()
    assert "user29@example.com" in page1 and "3 / 100" in page1 and ">Free<" in page1
    assert "Page 1 of 2" in page1
    page2 = alice_browser.get(f"{base}?page=2").content.decode()
    assert "user00@example.com" in page2
    search = alice_browser.get(f"{base}?q=user07").content.decode()
    assert "user07@example.com" in search and "user08@example.com" not in search


def test_tiers_are_managed_from_the_dashboard(alice_browser, alice):
    base = f"/dashboard/projects/{alice.project.public_id}/tiers"
    response = alice_browser.post(
        f"{base}/new/?mode=test",
        {"slug": "pro", "name": "Pro", "price_cents": 1900, "currency": "USD", "interval": "month",
         "monthly_limit": 10000, "features": "Priority support\nMore calls", "order": 1, "mode": "test"},
    )
    assert response.status_code == 302
    tiers = alice.api().get("/api/tiers").json()["tiers"]
    pro = next(t for t in tiers if t["id"] == "pro")
    assert pro == {"id": "pro", "name": "pro", "displayName": "Pro", "price": 1900, "currency": "usd",
                   "interval": "month", "limit": 10000, "features": ["Priority support", "More calls"],
                   "popular": False, "billingMode": "subscription", "priceId": "", "productId": "",
                   "entitlements": {"api_calls": 10000}, "trialDays": 0, "trialRequiresCard": False}
    # A tier in use cannot be deleted without moving its users.
    user = alice.end_user("on-pro@example.com", plan="pro")
    response = alice_browser.post(f"{base}/pro/delete/", {"mode": "test"})
    assert response.status_code == 200 and "choose a tier to move them to" in response.content.decode()
    free = alice.project.tiers.get(slug="free", mode="test")
    alice_browser.post(f"{base}/pro/delete/", {"mode": "test", "move_to": free.pk})
    user.refresh_from_db()
    assert user.tier == free
    assert [t["id"] for t in alice.api().get("/api/tiers").json()["tiers"]] == ["free"]


def test_an_unknown_key_kind_is_404_and_revokes_nothing(alice_browser, alice):
    base = f"/dashboard/projects/{alice.project.public_id}/keys"
    assert alice_browser.post(f"{base}/revoke/", {"mode": "test", "kind": "xx"}).status_code == 404
    assert alice_browser.post(f"{base}/regenerate/", {"mode": "test", "kind": "xx"}).status_code == 404
    assert alice.api().get("/api/tiers").status_code == 200


def test_a_developer_resets_a_forgotten_password_by_e_mail(client, alice):
    mail.outbox.clear()
    response = client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    assert response.status_code == 302
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
                           {"password1": "a-brand-new-password-9", "password2": "a-brand-new-password-9"})
    assert response.status_code == 302
    client.logout()
    response = client.post("/accounts/login/", {"login": "alice@example.com", "password": "a-brand-new-password-9"})
    assert response.status_code == 302 and client.get("/dashboard/").status_code == 200


def test_a_secret_key_never_reaches_the_logs(client, alice, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    client.force_login(alice.user)
    response = client.post("/dashboard/", {"name": "Logged app", "kind": "saas"})
    secret = re.search(r"sk_test_[A-Za-z0-9]{40}", response.content.decode()).group(0)
    alice.api(secret).get("/api/tiers")
    alice.api(secret).get("/api/customers/usr_nope")
    assert secret not in caplog.text
    assert secret[14:] not in caplog.text


def test_creating_end_users_on_first_use_is_a_project_setting(alice_browser, alice):
    settings_url = f"/dashboard/projects/{alice.project.public_id}/settings/"
    form = {"name": alice.project.name, "rate_limit_per_minute": 100, "allowed_origins": ""}
    alice_browser.post(settings_url, form)  # an unticked box: off
    assert alice.api(HTTP_X_USER_ID="app-user-1").post("/api/data").status_code == 404

    page = alice_browser.get(settings_url).content.decode()
    assert 'name="auto_create_end_users"' in page and "checked" not in page.split('name="auto_create_end_users"')[1][:40]
    alice_browser.post(settings_url, {**form, "auto_create_end_users": "on"})
    response = alice.api(HTTP_X_USER_ID="app-user-1").post("/api/data")
    assert response.status_code == 200, response.content
    assert alice.project.end_users.get(external_id="app-user-1").tier.slug == "free"
    assert alice.project.audit_events.filter(action="project.update").exists()
