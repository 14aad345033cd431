"""The audit log: every change to keys, tiers, plans, usage and projects records who made it,
in the same transaction as the change; shown on the project and in the admin."""

import re

import pytest
from django.contrib.auth import get_user_model

from billing.models import Tier
from billing.services import tier_create
from dreamapi.errors import ApiError
from tenants.audit import Actor
from tenants.authentication import resolve_key
from tenants.models import ApiKey, AuditEvent, Project
from tenants.services import end_user_update

pytestmark = pytest.mark.django_db


def actions(tenant) -> list[tuple[str, str, str]]:
    return [(e.action, e.target, e.actor_kind) for e in
            AuditEvent.objects.filter(project_public_id=tenant.project.public_id).order_by("id")]


def test_dashboard_changes_are_recorded_with_the_developer_and_what_changed(alice_browser, alice):
    base = f"/dashboard/projects/{alice.project.public_id}"
    alice_browser.post(f"{base}/settings/", {"name": "Renamed", "rate_limit_per_minute": 50, "allowed_origins": "",
                                             "auto_create_end_users": "on"})
    alice_browser.post(f"{base}/keys/regenerate/", {"mode": "test", "kind": "sk"})
    alice_browser.post(f"{base}/keys/revoke/", {"mode": "test", "kind": "pk"})
    alice_browser.post(f"{base}/tiers/new/", {"slug": "pro", "name": "Pro", "price_cents": 900, "currency": "usd",
                                              "interval": "month", "monthly_limit": 500, "order": 1, "mode": "test"})
    alice_browser.post(f"{base}/tiers/pro/", {"name": "Pro plus", "price_cents": 1200, "currency": "usd",
                                              "interval": "month", "monthly_limit": 500, "order": 1, "mode": "test"})
    alice_browser.post(f"{base}/tiers/pro/default/", {"mode": "test"})
    assert actions(alice)[1:] == [
        ("project.update", "Renamed", "developer"),
        ("key.rotate", "secret key", "developer"),
        ("key.revoke", "publishable key", "developer"),
        ("tier.create", "pro", "developer"),
        ("tier.update", "pro", "developer"),
        ("tier.default", "pro", "developer"),
    ]
    update = AuditEvent.objects.get(action="project.update")
    assert update.changes == {"name": ["Alice's app", "Renamed"], "rate_limit_per_minute": [100, 50]}
    assert update.actor_label == "alice@example.com" and update.actor_user == alice.user
    tier_update = AuditEvent.objects.get(action="tier.update")
    assert tier_update.changes == {"name": ["Pro", "Pro plus"], "price_cents": [900, 1200]}
    assert tier_update.mode == "test"
    assert AuditEvent.objects.get(action="tier.default").changes == {"default": ["free", "pro"]}
    rotate = AuditEvent.objects.get(action="key.rotate")
    assert rotate.changes["prefix"][0] == alice.sk[:14] and rotate.changes["prefix"][1].startswith("sk_test_")


def test_the_log_is_shown_on_the_project(alice_browser, alice):
    alice_browser.post(f"/dashboard/projects/{alice.project.public_id}/keys/revoke/", {"mode": "test", "kind": "sk"})
    page = alice_browser.get(f"/dashboard/projects/{alice.project.public_id}/audit/").content.decode()
    assert "key.revoke" in page and "secret key" in page and "alice@example.com" in page
    overview = alice_browser.get(f"/dashboard/projects/{alice.project.public_id}/").content.decode()
    assert "Recent changes" in overview and "key.revoke" in overview


def test_a_change_and_its_record_share_one_transaction(alice, monkeypatch):
    def broken_audit(**kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr("billing.services.tiers.audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        tier_create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=0)
    assert not Tier.objects.filter(project=alice.project, slug="pro").exists()


def test_a_refused_change_records_nothing(alice):
    with pytest.raises(ApiError):
        tier_create(project=alice.project, mode="test", slug="free", name="Again")
    user = alice.end_user()
    with pytest.raises(ApiError):
        end_user_update(end_user=user, plan="nope", actor=Actor.developer(alice.user))
    assert [a for a, _, _ in actions(alice)] == ["project.create"]


def test_an_api_key_is_recorded_as_the_actor(alice):
    context = resolve_key(alice.sk)
    user = alice.end_user()
    tier_create(project=alice.project, mode="test", slug="pro", name="Pro", actor=Actor.api_key(context))
    end_user_update(end_user=user, plan="pro", actor=Actor.api_key(context))
    events = AuditEvent.objects.filter(actor_kind="api_key").order_by("id")
    assert [(e.action, e.actor_label) for e in events] == [("tier.create", "secret key (test)"),
                                                           ("end_user.plan_change", "secret key (test)")]
    assert events[0].actor_api_key == ApiKey.objects.get(project=alice.project, mode="test", kind="sk")


def test_a_deleted_projects_log_remains_for_operators(alice_browser, alice):
    project_id = alice.project.public_id
    alice_browser.post(f"/dashboard/projects/{project_id}/delete/", {"confirm_name": "Alice's app"})
    assert not Project.objects.filter(public_id=project_id).exists()
    deleted = AuditEvent.objects.get(action="project.delete")
    assert (deleted.project, deleted.project_public_id, deleted.actor_label) == (None, project_id, "alice@example.com")


def test_operators_see_the_log_in_the_admin_and_their_revocations_are_theirs(client, alice):
    ops = get_user_model().objects.create_superuser("ops", "ops@dream-api.local", "ops-password-123")
    client.force_login(ops)
    key = ApiKey.objects.get(project=alice.project, mode="test", kind="sk")
    client.post("/admin/tenants/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    event = AuditEvent.objects.get(action="key.revoke")
    assert (event.actor_kind, event.actor_label) == ("operator", "ops@dream-api.local")
    listing = client.get("/admin/tenants/auditevent/", {"q": alice.project.public_id}).content.decode()
    assert "key.revoke" in listing and "ops@dream-api.local" in listing
    project_page = client.get(f"/admin/tenants/project/{alice.project.pk}/change/").content.decode()
    link = re.search(r'href="([^"]*auditevent[^"]*)">(\d+) recorded changes', project_page)
    assert link and link.group(2) == "2"
    assert "key.revoke" in client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert client.get(f"/admin/tenants/auditevent/{event.pk}/change/").status_code == 200
    assert client.post(f"/admin/tenants/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
