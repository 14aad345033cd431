"""The end-user list, one end user's page and its actions, and the CSV exports."""

import csv
import io

import pytest
from django.utils import timezone

from billing.models import StripeEvent
from signup.tokens import end_user_token_issue
from tenants.models import AuditEvent, EndUser
from usage.models import UsageCounter
from usage.services import usage_track

from .conftest import build_shop, streamed

pytestmark = pytest.mark.django_db


def users_url(tenant, suffix="", mode="test") -> str:
    return f"/dashboard/projects/{tenant.project.public_id}/users/{suffix}?mode={mode}"


def track(tenant, user, times=1):
    for _ in range(times):
        usage_track(project_id=tenant.project.id, mode=user.mode, user_public_id=user.public_id)


def rows_of(response) -> list[dict]:
    assert response.streaming
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


# --- the list --------------------------------------------------------------------------------


def test_search_finds_by_e_mail_name_and_id(alice_browser, alice):
    ann = alice.end_user("ann@example.com", first_name="Annabel", last_name="Lee")
    alice.end_user("bo@example.com", first_name="Bo")
    for term, found in [("ann@", True), ("annab", True), ("lee", True), (ann.public_id, True),
                        (ann.public_id[:-1], False)]:
        page = alice_browser.get(users_url(alice), {"q": term}).content.decode()
        assert ("ann@example.com" in page) is found, term
        assert "bo@example.com" not in page


def test_filters_by_plan_and_status_and_sorts_by_usage(alice_browser, alice):
    shop = build_shop(alice, timezone.now())
    page = alice_browser.get(users_url(alice), {"plan": "team"}).content.decode()
    assert "cleo@example.com" in page and "ada@example.com" not in page
    page = alice_browser.get(users_url(alice), {"status": "past_due"}).content.decode()
    assert "fay@example.com" in page and "ada@example.com" not in page
    page = alice_browser.get(users_url(alice), {"status": "none"}).content.decode()
    assert all(f"{n}@example.com" in page for n in ("ivy", "jon", "kim", "gus", "hal"))
    assert "ada@example.com" not in page and "dan@example.com" not in page
    page = alice_browser.get(users_url(alice), {"sort": "-usage"}).content.decode()
    assert page.index("ada@example.com") < page.index("ivy@example.com") < page.index("kim@example.com")
    assert shop.users  # used


def test_the_usage_bar_marks_an_end_user_at_the_limit(alice_browser, alice):
    alice.project.tiers.filter(slug="free", mode="test").update(monthly_limit=3)
    full, half = alice.end_user("full@example.com"), alice.end_user("half@example.com")
    track(alice, full, 3)
    track(alice, half, 1)
    page = alice_browser.get(users_url(alice)).content.decode()
    assert '<meter class="usage" min="0" max="3"' in page and 'value="3"' in page
    assert page.count("at limit") == 1
    at_limit = alice_browser.get(users_url(alice), {"status": "at_limit"}).content.decode()
    assert "full@example.com" in at_limit and "half@example.com" not in at_limit


# --- one end user ---------------------------------------------------------------------------------


def test_the_end_user_page_shows_profile_plan_usage_and_stripe_links(alice_browser, alice):
    shop = build_shop(alice, timezone.now())
    ada = shop.users["ada"]
    StripeEvent.objects.create(stripe_event_id="evt_for_ada", type="customer.subscription.updated",
                               account_id="acct_fixture", project=alice.project, status="processed",
                               payload={"data": {"object": {"id": ada.subscriptions.get().stripe_subscription_id}}})
    page = alice_browser.get(users_url(alice, f"{ada.public_id}/")).content.decode()
    subscription = ada.subscriptions.get()
    assert ada.public_id in page and "Pro" in page and "8 / 1,000" in page
    assert f"https://dashboard.stripe.com/test/customers/{subscription.stripe_customer_id}" in page
    assert f"https://dashboard.stripe.com/test/subscriptions/{subscription.stripe_subscription_id}" in page
    assert "evt_for_ada" not in page and "customer.subscription.updated" in page


def test_change_plan_from_the_dashboard_is_audited(alice_browser, alice):
    build_shop(alice, timezone.now())
    user = alice.end_user("mover@example.com")
    response = alice_browser.post(users_url(alice, f"{user.public_id}/plan/"), {"plan": "pro"}, follow=True)
    assert "mover@example.com moved from Free to Pro." in response.content.decode()
    user.refresh_from_db()
    assert user.tier.slug == "pro"
    event = AuditEvent.objects.get(action="end_user.plan_change")
    assert (event.actor_kind, event.actor_label, event.target, event.changes) == (
        "developer", "alice@example.com", user.public_id, {"plan": ["free", "pro"]})


def test_reset_usage_needs_a_reason(alice_browser, alice):
    user = alice.end_user()
    track(alice, user, 4)
    response = alice_browser.post(users_url(alice, f"{user.public_id}/reset-usage/"), {"reason": ""}, follow=True)
    assert "Say why" in response.content.decode()
    assert UsageCounter.objects.get(end_user=user).count == 4
    response = alice_browser.post(users_url(alice, f"{user.public_id}/reset-usage/"), {"reason": "Support ticket 42"},
                                  follow=True)
    assert "4 calls this period cleared" in response.content.decode()
    assert UsageCounter.objects.get(end_user=user).count == 0
    assert AuditEvent.objects.get(action="usage.reset").reason == "Support ticket 42"


def test_revoking_tokens_signs_the_end_user_out(alice_browser, alice):
    user = alice.end_user(email_verified=True)
    token = end_user_token_issue(end_user=user).token
    assert alice.api(HTTP_X_USER_TOKEN=token).get("/api/usage").status_code == 200
    response = alice_browser.post(users_url(alice, f"{user.public_id}/revoke-tokens/"), follow=True)
    assert "must sign in again" in response.content.decode()
    assert alice.api(HTTP_X_USER_TOKEN=token).get("/api/usage").status_code == 401
    assert AuditEvent.objects.filter(action="end_user.tokens_revoke", target=user.public_id).exists()


def test_deleting_an_end_user_needs_their_e_mail(alice_browser, alice):
    user = alice.end_user("leaving@example.com")
    url = users_url(alice, f"{user.public_id}/delete/")
    assert "Type their e-mail" in alice_browser.get(url).content.decode()
    alice_browser.post(url, {"confirm_email": "someone@example.com"})
    assert EndUser.objects.filter(pk=user.pk).exists()
    response = alice_browser.post(url, {"confirm_email": "Leaving@Example.com"})
    assert response.status_code == 302 and response["Location"].endswith("/users/?mode=test")
    assert not EndUser.objects.filter(pk=user.pk).exists()
    assert AuditEvent.objects.get(action="end_user.delete").changes == {"email": ["leaving@example.com", None]}


def test_an_end_user_without_an_e_mail_is_named_by_id_and_deleted_by_it(alice_browser, alice):
    # End users created on first use by the app's own id have no e-mail yet.
    nameless = EndUser.objects.create(project=alice.project, mode="test", email="",
                                      tier=alice.project.tiers.get(slug="free", mode="test"))
    listing = alice_browser.get(users_url(alice)).content.decode()
    assert f'{nameless.public_id}/?mode=test">{nameless.public_id}</a>' in listing
    url = users_url(alice, f"{nameless.public_id}/delete/")
    assert f"Type their id, <code>{nameless.public_id}</code>" in alice_browser.get(url).content.decode()
    alice_browser.post(url, {"confirm_email": ""})
    assert EndUser.objects.filter(pk=nameless.pk).exists()
    alice_browser.post(url, {"confirm_email": nameless.public_id})
    assert not EndUser.objects.filter(pk=nameless.pk).exists()


def test_an_end_user_of_another_mode_is_not_found(alice_browser, alice):
    live_user = alice.end_user("live@example.com", mode="live")
    assert alice_browser.get(users_url(alice, f"{live_user.public_id}/", mode="test")).status_code == 404
    assert alice_browser.get(users_url(alice, f"{live_user.public_id}/", mode="live")).status_code == 200


# --- outsiders ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method,suffix,data", [
    ("get", "users/", None),
    ("get", "users/export.csv", None),
    ("get", "users/{user}/", None),
    ("post", "users/{user}/plan/", {"plan": "free"}),
    ("post", "users/{user}/reset-usage/", {"reason": "x"}),
    ("post", "users/{user}/revoke-tokens/", {}),
    ("get", "users/{user}/delete/", None),
    ("post", "users/{user}/delete/", {"confirm_email": "user@example.com"}),
    ("get", "audit/", None),
    ("get", "stripe/events/", None),
    ("get", "stripe/events/export.csv", None),
    ("get", "?days=90", None),
])
def test_another_developer_gets_404_on_every_end_user_page_and_export(client, alice, bob, method, suffix, data):
    user = alice.end_user()
    track(alice, user, 2)
    client.force_login(bob.user)
    url = f"/dashboard/projects/{alice.project.public_id}/{suffix.format(user=user.public_id)}"
    response = getattr(client, method)(url, data or {})
    assert response.status_code == 404
    user.refresh_from_db()
    assert UsageCounter.objects.get(end_user=user).count == 2 and user.tier.slug == "free"
    assert not AuditEvent.objects.filter(action__startswith="end_user").exists()


def test_an_end_user_of_another_project_is_not_found_through_ones_own(client, alice, bob):
    theirs = alice.end_user()
    client.force_login(bob.user)
    response = client.get(f"/dashboard/projects/{bob.project.public_id}/users/{theirs.public_id}/")
    assert response.status_code == 404
    response = client.post(f"/dashboard/projects/{bob.project.public_id}/users/{theirs.public_id}/delete/",
                           {"confirm_email": theirs.email})
    assert response.status_code == 404 and EndUser.objects.filter(pk=theirs.pk).exists()


# --- CSV ----------------------------------------------------------------------------------------------------


def test_the_end_user_csv_has_usage_and_carries_the_filters(alice_browser, alice):
    build_shop(alice, timezone.now())
    everyone = rows_of(alice_browser.get(users_url(alice, "export.csv"), {"sort": "-usage"}))
    assert len(everyone) == 11
    assert [c for c in everyone[0] if c != "external_id"] == [
        "id", "email", "first_name", "last_name", "plan", "usage_this_period", "limit", "subscription_status",
        "cancel_at_period_end", "current_period_end", "email_verified", "created_at"]
    assert (everyone[0]["email"], everyone[0]["usage_this_period"], everyone[0]["limit"]) == (
        "ada@example.com", "8", "1000")
    canceling = rows_of(alice_browser.get(users_url(alice, "export.csv"), {"status": "canceling"}))
    assert [(r["email"], r["subscription_status"], r["cancel_at_period_end"]) for r in canceling] == [
        ("dan@example.com", "active", "True")]
    searched = rows_of(alice_browser.get(users_url(alice, "export.csv"), {"q": "Ivy"}))
    assert [r["email"] for r in searched] == ["ivy@example.com"]


def test_a_cell_that_would_run_as_a_formula_is_written_as_text(alice_browser, alice):
    alice.end_user("formula@example.com", first_name="=HYPERLINK(\"http://evil\")", last_name="+1")
    row = rows_of(alice_browser.get(users_url(alice, "export.csv")))[0]
    assert row["first_name"] == "'=HYPERLINK(\"http://evil\")" and row["last_name"] == "'+1"


def test_the_stripe_events_csv_carries_the_status_filter(alice_browser, alice):
    build_shop(alice, timezone.now())
    url = f"/dashboard/projects/{alice.project.public_id}/stripe/events/export.csv"
    everything = rows_of(alice_browser.get(url, {"mode": "test"}))
    assert len(everything) == 5  # the live invoice is not in test mode
    failed = rows_of(alice_browser.get(url, {"mode": "test", "status": "failed"}))
    assert [(r["event_id"], r["status"], r["error"]) for r in failed] == [
        ("evt_fixture_failed", "failed", "StripeError: timeout")]
    page = alice_browser.get(f"/dashboard/projects/{alice.project.public_id}/stripe/events/",
                             {"mode": "test", "status": "failed"}).content.decode()
    assert "stripe/events/export.csv?mode=test&amp;status=failed" in page


@pytest.mark.slow
def test_100k_end_users_stream_without_being_held_in_memory(alice_browser, alice):
    tier = alice.project.tiers.get(slug="free", mode="test")
    total = 100_000
    EndUser.objects.bulk_create(
        (EndUser(project=alice.project, mode="test", email=f"user{i:06d}@example.com", tier=tier)
         for i in range(total)), batch_size=5000)
    # Warm up first (imports, URL resolving, templates): only the export itself is measured.
    assert len(rows_of(alice_browser.get(users_url(alice, "export.csv"), {"q": "nobody"}))) == 0
    size, lines, peak = streamed(alice_browser.get(users_url(alice, "export.csv")))
    assert lines == total + 1
    # The file is ~10 MB; rows are read and written a chunk at a time, so far less is ever
    # held at once (a list of 100k rows alone would take more than the whole file).
    assert peak < size / 3, (peak, size)
