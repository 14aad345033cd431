"""The daily usage history: folded from the counters by a periodic task, never on the hot path."""

import threading
from datetime import date, datetime, timezone

import pytest
from django.conf import settings
from django.db import connections
from django.db.models import Sum

from tenants.audit import Actor
from tenants.models import AuditEvent
from usage.models import UsageCounter, UsageDay
from usage.services import usage_history_fold, usage_reset, usage_track
from usage.tasks import fold_usage_history

pytestmark = pytest.mark.django_db


def track(tenant, user, times=1, now=None):
    for _ in range(times):
        usage_track(project_id=tenant.project.id, mode=user.mode, user_public_id=user.public_id, now=now)


def history(user) -> dict[date, int]:
    return dict(UsageDay.objects.filter(end_user=user).values_list("day", "calls"))


def test_the_fold_moves_each_counters_growth_into_the_day_once(alice):
    user = alice.end_user()
    day1 = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)
    track(alice, user, 3, now=day1)
    assert usage_history_fold(now=day1) == 3
    assert usage_history_fold(now=day1) == 0  # nothing new: nothing added
    track(alice, user, 2, now=day1)
    usage_history_fold(now=datetime(2026, 3, 11, 0, 1, tzinfo=timezone.utc))  # folded after midnight
    assert history(user) == {date(2026, 3, 10): 3, date(2026, 3, 11): 2}
    counter = UsageCounter.objects.get(end_user=user)
    assert (counter.count, counter.rolled) == (5, 5)


def test_the_fold_can_be_limited_to_one_project(alice, bob):
    now = datetime(2026, 3, 10, 12, tzinfo=timezone.utc)
    a, b = alice.end_user(), bob.end_user()
    track(alice, a, 2, now=now)
    track(bob, b, 4, now=now)
    assert usage_history_fold(now=now, project_id=alice.project.id) == 2
    assert history(b) == {}
    assert usage_history_fold(now=now) == 4


def test_the_periodic_task_folds_and_is_scheduled(alice):
    user = alice.end_user()
    track(alice, user, 2)
    assert fold_usage_history() == 2
    assert UsageDay.objects.get(end_user=user).calls == 2
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "usage.tasks.fold_usage_history" in scheduled


def test_calls_carried_into_a_new_billing_period_are_not_counted_twice(alice):
    from usage.services import usage_carry_over

    user = alice.end_user()
    march = datetime(2026, 3, 10, tzinfo=timezone.utc)
    track(alice, user, 7, now=march)
    usage_history_fold(now=march)
    usage_carry_over(end_user_id=user.id, count_from=datetime(2026, 3, 1, tzinfo=timezone.utc),
                     to_start=march, to_end=datetime(2026, 4, 10, tzinfo=timezone.utc))
    assert usage_history_fold(now=march) == 0
    assert sum(history(user).values()) == 7


def test_a_reset_clears_the_period_keeps_the_history_and_is_audited_with_its_reason(alice):
    user = alice.end_user()
    track(alice, user, 4)
    usage_history_fold()
    track(alice, user, 3)  # not folded yet when the reset comes
    cleared = usage_reset(end_user=user, actor=Actor.developer(alice.user), reason="Double-counted by a retry bug")
    assert cleared == 7
    assert UsageCounter.objects.get(end_user=user).count == 0
    assert sum(history(user).values()) == 7  # the calls happened; the chart keeps them
    event = AuditEvent.objects.get(action="usage.reset")
    assert (event.target, event.actor_label, event.reason) == (user.public_id, "alice@example.com",
                                                                 "Double-counted by a retry bug")
    assert event.changes == {"calls this period": [7, 0]}
    track(alice, user, 1)
    assert usage_history_fold() == 1  # counting goes on from zero, folded as before


def test_a_reset_needs_a_reason_and_changes_nothing_without_one(alice):
    from dreamapi.errors import ApiError

    user = alice.end_user()
    track(alice, user, 2)
    with pytest.raises(ApiError) as caught:
        usage_reset(end_user=user, actor=Actor.developer(alice.user), reason="  ")
    assert caught.value.code == "reason_required"
    assert UsageCounter.objects.get(end_user=user).count == 2
    assert not AuditEvent.objects.filter(action="usage.reset").exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_no_call_is_lost_or_counted_twice_while_the_fold_runs_beside_real_tracking(alice):
    """Real threads track calls (the hot path's upsert) while another thread folds again and
    again; afterwards the history holds exactly every call that was counted."""
    alice.project.tiers.filter(mode="test").update(monthly_limit=None)
    users = [alice.end_user(f"u{i}@example.com") for i in range(6)]
    calls_per_thread = 120
    start = threading.Barrier(len(users) + 1)
    trackers_done = threading.Event()
    folds = []

    def tracker(user):
        try:
            start.wait()
            track(alice, user, calls_per_thread)
        finally:
            connections.close_all()

    def folder():
        try:
            start.wait()
            while not trackers_done.is_set():
                folds.append(usage_history_fold())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tracker, args=(u,)) for u in users]
    fold_thread = threading.Thread(target=folder)
    for thread in [*threads, fold_thread]:
        thread.start()
    for thread in threads:
        thread.join()
    trackers_done.set()
    fold_thread.join()
    folds.append(usage_history_fold())

    expected = len(users) * calls_per_thread
    assert UsageCounter.objects.aggregate(total=Sum("count"))["total"] == expected
    assert UsageDay.objects.aggregate(total=Sum("calls"))["total"] == expected
    assert sum(folds) == expected
    assert len([f for f in folds if f]) > 1  # the fold really ran while calls were being tracked
    for user in users:
        assert sum(history(user).values()) == calls_per_thread
