"""Every number of the overview, the totals and the charts against a fixture worked out by hand
(tests/dashboard/conftest.py: build_shop)."""

from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine

from billing.selectors import subscription_metrics, subscription_revenue
from dashboard.formatting import format_money, format_money_map
from dashboard.selectors import platform_totals, project_charts, project_overview
from tenants.services import project_create
from tests.conftest import Tenant

from .conftest import build_shop, build_store, make_tier, paid_invoice, subscribe

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def shop(alice):
    with time_machine.travel(NOW, tick=True):
        yield build_shop(alice, NOW)


def test_mrr_counts_each_active_price_per_month(alice, shop):
    """ada 1,900 + bert 1,500 (still on the old price) + cleo 24,000/12 + dan 1,900 (canceling,
    period not over) + fay 1,900 (past due) = 9,200. Not counted: eve (trialing), gus (cancelled
    at a period end that has passed), hal (canceled)."""
    metrics = subscription_metrics(project_ids=[alice.project.id], mode="test", now=NOW)[alice.project.id]
    assert metrics.mrr == {"usd": 9200}
    assert (metrics.active, metrics.canceling, metrics.trialing) == (6, 1, 1)


def test_a_canceling_subscription_counts_until_its_period_ends(alice, shop):
    dan_ends = NOW + timedelta(days=5)
    before = subscription_metrics(project_ids=[alice.project.id], mode="test", now=dan_ends - timedelta(seconds=1))
    after = subscription_metrics(project_ids=[alice.project.id], mode="test", now=dan_ends)
    assert (before[alice.project.id].canceling, before[alice.project.id].mrr) == (1, {"usd": 9200})
    assert (after[alice.project.id].canceling, after[alice.project.id].mrr) == (0, {"usd": 7300})
    assert after[alice.project.id].active == 5


def test_a_yearly_price_counts_a_twelfth_and_rounds_once_at_the_end(alice):
    yearly = make_tier(alice, "yearly", 1000, interval="year", prices=[("price_y", 1000)])
    for i in range(6):  # 6 × 1000/12 = 500 exactly; rounding each would give 6 × 83 = 498
        subscribe(alice.end_user(f"y{i}@example.com", plan="yearly"), yearly, "price_y")
    metrics = subscription_metrics(project_ids=[alice.project.id], mode="test")[alice.project.id]
    assert metrics.mrr == {"usd": 500}


def test_mrr_keeps_currencies_apart(alice):
    eur = make_tier(alice, "eur", 900, currency="eur", prices=[("price_eur", 900)])
    jpy = make_tier(alice, "jpy", 1200, currency="jpy", interval="year", prices=[("price_jpy", 1200)])
    subscribe(alice.end_user("e@example.com", plan="eur"), eur, "price_eur")
    subscribe(alice.end_user("j@example.com", plan="jpy"), jpy, "price_jpy")
    assert subscription_metrics(project_ids=[alice.project.id], mode="test")[alice.project.id].mrr == {
        "eur": 900, "jpy": 100}
    assert format_money_map({"eur": 900, "jpy": 100}, "usd") == "€9.00 + ¥100"


def test_revenue_is_paid_invoices_once_each_in_the_mode_and_month(alice, shop):
    month = datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert subscription_revenue(project_ids=[alice.project.id], mode="test", since=month) == {
        alice.project.id: {"usd": 25900}}  # 1,900 (sent twice, counted once) + 24,000
    assert subscription_revenue(project_ids=[alice.project.id], mode="test") == {alice.project.id: {"usd": 27400}}
    assert subscription_revenue(project_ids=[alice.project.id], mode="live") == {alice.project.id: {"usd": 99900}}


def test_the_overview_of_a_project(alice, shop):
    overview = project_overview(project=alice.project, mode="test", now=NOW)
    assert overview.mrr == {"usd": 9200}
    assert overview.revenue_this_month == {"usd": 25900}
    assert (overview.subscriptions.active, overview.subscriptions.canceling) == (6, 1)
    assert (overview.end_users, overview.end_users_new) == (11, 8)
    assert overview.calls_this_period == 11  # ada 5 + 3, fay 1, ivy 2
    assert overview.failed_events == 1
    assert overview.currency == "usd"
    assert overview.period_start == datetime(2026, 3, 1, tzinfo=timezone.utc)


def test_the_overview_of_another_mode_and_project_is_separate(alice, bob, shop):
    live = project_overview(project=alice.project, mode="live", now=NOW)
    assert (live.mrr, live.revenue_this_month, live.end_users, live.calls_this_period) == ({}, {"usd": 99900}, 0, 0)
    other = project_overview(project=bob.project, mode="test", now=NOW)
    assert (other.mrr, other.revenue_this_month, other.end_users, other.failed_events) == ({}, {}, 0, 0)


def test_calls_this_period_follow_each_end_users_own_period(alice):
    """A paid plan counts in its billing period: its counter from before that period is not
    this period's."""
    user = alice.end_user("paid@example.com")
    from usage.services import usage_track

    for _ in range(4):
        usage_track(project_id=alice.project.id, mode="test", user_public_id=user.public_id,
                    now=datetime(2026, 3, 2, tzinfo=timezone.utc))
    user.billing_period_start = datetime(2026, 3, 10, tzinfo=timezone.utc)
    user.billing_period_end = datetime(2026, 4, 10, tzinfo=timezone.utc)
    user.save()
    usage_track(project_id=alice.project.id, mode="test", user_public_id=user.public_id, now=NOW)
    assert project_overview(project=alice.project, mode="test", now=NOW).calls_this_period == 1


def test_daily_charts_of_calls_new_end_users_and_revenue(alice, shop):
    calls, signups, revenue = project_charts(project=alice.project, mode="test", days=30, currency="usd", now=NOW)
    assert len(calls.points) == 30 and calls.points[-1][0] == date(2026, 3, 15)
    assert calls.points[0][0] == date(2026, 2, 14)
    by_day = dict(calls.points)
    assert (by_day[date(2026, 3, 13)], by_day[date(2026, 3, 14)], by_day[date(2026, 3, 15)]) == (5, 1, 5)
    assert calls.total == 11
    assert dict(signups.points)[date(2026, 3, 15)] == 8 and dict(signups.points)[date(2026, 2, 26)] == 3
    assert signups.total == 11
    revenue_by_day = dict(revenue.points)
    assert revenue_by_day[date(2026, 3, 1)] == 1900 and revenue_by_day[date(2026, 3, 2)] == 24000
    assert revenue_by_day[date(2026, 2, 19)] == 1500 and revenue.total == 27400
    ninety = project_charts(project=alice.project, mode="test", days=90, currency="usd", now=NOW)
    assert len(ninety[0].points) == 90


def test_totals_across_projects(alice, shop):
    second, _ = project_create(platform=alice.platform, name="Second app")
    other = Tenant(user=alice.user, platform=alice.platform, project=second, keys={})
    pro2 = make_tier(other, "pro", 500, prices=[("price_second", 500)])
    subscribe(other.end_user("z@example.com", plan="pro"), pro2, "price_second")
    paid_invoice(other, "in_second", 500, received_at=NOW - timedelta(hours=1))
    totals = platform_totals(platform=alice.platform, mode="test", now=NOW)
    rows = {row.project.name: row for row in totals.rows}
    assert rows["Alice's app"].mrr == {"usd": 9200} and rows["Second app"].mrr == {"usd": 500}
    assert totals.total.mrr == {"usd": 9700}
    assert totals.total.revenue_this_month == {"usd": 26400}
    assert totals.total.revenue_all_time == {"usd": 27900}
    total = totals.total
    assert (total.end_users, total.active_subscriptions, total.canceling_subscriptions) == (12, 7, 1)
    assert platform_totals(platform=alice.platform, mode="live", now=NOW).total.revenue_all_time == {"usd": 99900}


def test_totals_use_a_fixed_number_of_queries(alice, shop, django_assert_max_num_queries):
    build_store(alice, NOW)
    for i in range(5):
        project_create(platform=alice.platform, name=f"Extra {i}")
    with django_assert_max_num_queries(7):
        platform_totals(platform=alice.platform, mode="test", now=NOW)


@pytest.mark.parametrize("amount,currency,shown", [
    (920000, "usd", "$9,200.00"), (5, "eur", "€0.05"), (500, "jpy", "¥500"), (1234, "sek", "12.34 SEK"),
    (-250, "gbp", "-£2.50"), (0, "usd", "$0.00"),
])
def test_money_is_shown_for_humans(amount, currency, shown):
    assert format_money(amount, currency) == shown
