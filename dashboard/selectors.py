"""What the dashboard shows, put together from the domain apps' selectors.

Nothing here decides what a number means (the apps do: ``billing.selectors`` for MRR and
subscription revenue, ``storefront.selectors`` for the store's orders, ``usage.selectors`` for
calls, ``tenants.selectors`` for end users); it only asks them for one project or many and lines
the answers up for a page or the ``/api/dashboard`` endpoints. Revenue is both together: paid
invoices plus paid orders minus their refunds, kept per currency.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone

from billing.selectors import (
    SubscriptionMetrics,
    end_users_by_subscription,
    end_users_with_subscription,
    failed_event_counts,
    failed_events_total,
    platform_plan_mrr,
    recent_stripe_events,
    subscription_metrics,
    subscription_revenue,
    subscription_revenue_daily,
    tiers_for_project,
)
from storefront.selectors import (
    orders_search,
    orders_totals,
    products_for_sale,
    products_with_stock,
    revenue_by_period,
    store_revenue,
)
from tenants.models import EndUser, Platform, Project
from tenants.selectors import (
    end_user_counts,
    end_user_signups_daily,
    end_users_for_project,
    end_users_search,
    platform_counts,
)
from usage.periods import month_period
from usage.selectors import (
    end_users_with_usage,
    usage_calls_daily,
    usage_calls_this_period,
)

DEFAULT_CURRENCY = "usd"
CHART_DAYS = (30, 90)


def add_money(*amounts: dict[str, int]) -> dict[str, int]:
    """Sum amounts kept per currency (``{"usd": 1900, "eur": 500}``)."""
    total: Counter[str] = Counter()
    for amount in amounts:
        total.update(amount)
    return dict(total)


def main_currency(*amounts: dict[str, int], fallback: str = DEFAULT_CURRENCY) -> str:
    """The currency that carries the most money here (ties: alphabetical), else ``fallback``."""
    total = add_money(*amounts)
    if not total:
        return fallback
    return max(sorted(total), key=lambda currency: total[currency])


@dataclass(frozen=True)
class Overview:
    """One project in one mode, now. Money is per currency, in minor units."""

    mode: str
    period_start: datetime
    period_end: datetime
    subscriptions: SubscriptionMetrics
    revenue_this_month: dict[str, int]  # subscriptions + store
    subscription_revenue_this_month: dict[str, int]
    store_revenue_this_month: dict[str, int]
    orders_this_month: int
    end_users: int
    end_users_new: int
    calls_this_period: int
    failed_events: int
    currency: str

    @property
    def mrr(self) -> dict[str, int]:
        return self.subscriptions.mrr


def _price_currency(project: Project, mode: str) -> str:
    """The currency the project prices in (its paid tiers' and products'), for a project with no money yet."""
    currencies = Counter(t.currency for t in tiers_for_project(project=project, mode=mode) if not t.is_free)
    currencies.update(products_for_sale(project_id=project.id, mode=mode).values_list("currency", flat=True))
    return currencies.most_common(1)[0][0] if currencies else DEFAULT_CURRENCY


def project_overview(*, project: Project, mode: str, now: datetime | None = None) -> Overview:
    now = now or timezone.now()
    month_start, month_end = month_period(now)
    subscriptions = subscription_metrics(project_ids=[project.id], mode=mode, now=now)[project.id]
    from_subscriptions = subscription_revenue(project_ids=[project.id], mode=mode, since=month_start).get(
        project.id, {})
    store_month = orders_totals(orders=orders_search(project_id=project.id, mode=mode, since=month_start))
    from_store = {row["currency"]: row["net"] for row in store_month if row["net"]}
    revenue = add_money(from_subscriptions, from_store)
    money = add_money(subscriptions.mrr, revenue)
    total, new = end_user_counts(project_ids=[project.id], mode=mode, since=month_start).get(project.id, (0, 0))
    return Overview(
        mode=mode,
        period_start=month_start,
        period_end=month_end,
        subscriptions=subscriptions,
        revenue_this_month=revenue,
        subscription_revenue_this_month=from_subscriptions,
        store_revenue_this_month=from_store,
        orders_this_month=sum(row["orders"] for row in store_month),
        end_users=total,
        end_users_new=new,
        calls_this_period=usage_calls_this_period(project_ids=[project.id], mode=mode, now=now).get(project.id, 0),
        failed_events=failed_event_counts(project_ids=[project.id], mode=mode).get(project.id, 0),
        currency=main_currency(money) if money else _price_currency(project, mode),
    )


@dataclass(frozen=True)
class DailySeries:
    """One value per UTC day, oldest first, every day present (zero when nothing happened)."""

    title: str
    unit: str  # "calls", "end users", or a currency code for money
    points: list[tuple[date, int]]

    @property
    def total(self) -> int:
        return sum(value for _, value in self.points)


def _days(since: date, until: date) -> list[date]:
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]


def project_charts(*, project: Project, mode: str, days: int, currency: str,
                   now: datetime | None = None) -> list[DailySeries]:
    """Tracked calls, new end users and revenue (in ``currency``: invoices paid that day, and
    orders paid that day minus their refunds) per day for the last ``days`` days."""
    now = now or timezone.now()
    today = now.astimezone(dt_timezone.utc).date()
    first = today - timedelta(days=days - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=dt_timezone.utc)
    calls = usage_calls_daily(project_id=project.id, mode=mode, since=first)
    signups = end_user_signups_daily(project=project, mode=mode, since=since)
    revenue = subscription_revenue_daily(project_id=project.id, mode=mode, since=since)
    for row in revenue_by_period(project_id=project.id, mode=mode, period="day", since=since):
        revenue[row["period"]] = add_money(revenue.get(row["period"], {}), {row["currency"]: row["net"]})
    span = _days(first, today)
    return [
        DailySeries("Tracked calls", "calls", [(d, calls.get(d, 0)) for d in span]),
        DailySeries("New end users", "end users", [(d, signups.get(d, 0)) for d in span]),
        DailySeries("Revenue", currency, [(d, revenue.get(d, {}).get(currency, 0)) for d in span]),
    ]


@dataclass
class ProjectTotals:
    project: Project
    mrr: dict[str, int] = field(default_factory=dict)
    revenue_this_month: dict[str, int] = field(default_factory=dict)
    revenue_all_time: dict[str, int] = field(default_factory=dict)
    active_subscriptions: int = 0
    canceling_subscriptions: int = 0
    end_users: int = 0


@dataclass(frozen=True)
class PlatformTotals:
    mode: str
    rows: list[ProjectTotals]
    total: ProjectTotals

    @property
    def currency(self) -> str:
        return main_currency(self.total.mrr, self.total.revenue_all_time)


def platform_totals(*, platform: Platform, mode: str, now: datetime | None = None) -> PlatformTotals:
    """Every project of the developer side by side in one mode, and their sum (the original's
    totals view). A fixed number of queries whatever the number of projects."""
    now = now or timezone.now()
    month_start, _ = month_period(now)
    projects = list(platform.projects.all())
    ids = [p.id for p in projects]
    subscriptions = subscription_metrics(project_ids=ids, mode=mode, now=now)
    this_month = subscription_revenue(project_ids=ids, mode=mode, since=month_start)
    all_time = subscription_revenue(project_ids=ids, mode=mode)
    store_this_month = store_revenue(project_ids=ids, mode=mode, since=month_start)
    store_all_time = store_revenue(project_ids=ids, mode=mode)
    end_users = end_user_counts(project_ids=ids, mode=mode, since=month_start)
    rows = [
        ProjectTotals(
            project=p,
            mrr=subscriptions[p.id].mrr,
            revenue_this_month=add_money(this_month.get(p.id, {}), store_this_month.get(p.id, {})),
            revenue_all_time=add_money(all_time.get(p.id, {}), store_all_time.get(p.id, {})),
            active_subscriptions=subscriptions[p.id].active,
            canceling_subscriptions=subscriptions[p.id].canceling,
            end_users=end_users.get(p.id, (0, 0))[0],
        )
        for p in projects
    ]
    total = ProjectTotals(
        project=None,  # type: ignore[arg-type]
        mrr=add_money(*(r.mrr for r in rows)),
        revenue_this_month=add_money(*(r.revenue_this_month for r in rows)),
        revenue_all_time=add_money(*(r.revenue_all_time for r in rows)),
        active_subscriptions=sum(r.active_subscriptions for r in rows),
        canceling_subscriptions=sum(r.canceling_subscriptions for r in rows),
        end_users=sum(r.end_users for r in rows),
    )
    return PlatformTotals(mode=mode, rows=rows, total=total)


def end_users_filtered(*, project: Project, mode: str, q: str = "", plan: str = "", status: str = "",
                       ordering: list[str] | None = None, now: datetime | None = None) -> QuerySet[EndUser]:
    """The end-user list and its CSV: searched, filtered by plan and status, each annotated with
    ``usage`` (this period) and the latest subscription's ``sub_status``, ``sub_cancel_at_period_end``
    and ``sub_period_end``. Status ``at_limit``: usage at or above a finite tier limit."""
    now = now or timezone.now()
    end_users = end_users_search(end_users_for_project(project=project, mode=mode), q)
    if plan:
        end_users = end_users.filter(tier__slug=plan)
    end_users = end_users_by_subscription(end_users_with_subscription(end_users), status, now=now)
    end_users = end_users_with_usage(end_users, now=now)
    if status == "at_limit":
        end_users = end_users.filter(tier__monthly_limit__isnull=False, usage__gte=F("tier__monthly_limit"))
    return end_users.order_by(*(ordering or ["-created_at", "-id"]))


# --- the original's /api/dashboard and /api/dashboard/totals ------------------------------------

API_CUSTOMERS = 100
API_ORDERS = 100
API_RECENT_EVENTS = 20


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _subscription_state(end_user: EndUser, now: datetime) -> tuple[str, str | None]:
    """(status, renewsAt) of an end user annotated by ``end_users_filtered``."""
    status, canceling, period_end = end_user.sub_status, end_user.sub_cancel_at_period_end, end_user.sub_period_end
    if not status:
        return "none", None
    if canceling and status in ("active", "trialing", "past_due"):
        return ("canceled", None) if period_end and period_end <= now else ("canceling", None)
    return status, _iso(period_end) if status in ("active", "trialing", "past_due") else None


def _average(total: int, count: int) -> int:
    """``total / count`` rounded half up, in whole minor units (0 for nothing)."""
    return (2 * total + count) // (2 * count) if count else 0


def dashboard_snapshot(*, project: Project, mode: str, now: datetime | None = None) -> dict:
    """The original service's ``DashboardMetrics`` for one project and mode (camelCase keys),
    its SaaS and its store fields alike, plus ours: ``currency``, ``mrrByCurrency``,
    ``revenueThisMonth``, ``customersTotal``… ``products`` and ``orders`` are model instances
    (the API's serializers render them)."""
    now = now or timezone.now()
    overview = project_overview(project=project, mode=mode, now=now)
    currency = overview.currency
    from_subscriptions = subscription_revenue(project_ids=[project.id], mode=mode).get(project.id, {})
    sales = {row["currency"]: row for row in orders_totals(orders=orders_search(project_id=project.id, mode=mode))}
    from_store = {code: row["net"] for code, row in sales.items()}
    in_currency = sales.get(currency, {"orders": 0, "gross": 0})
    customers = []
    for end_user in end_users_filtered(project=project, mode=mode, now=now)[:API_CUSTOMERS]:
        status, renews_at = _subscription_state(end_user, now)
        customers.append({"id": end_user.public_id, "email": end_user.email,
                          "externalId": end_user.external_id or None,
                          "plan": end_user.tier.slug,
                          "usage": end_user.usage, "limit": end_user.tier.monthly_limit, "status": status,
                          "renewsAt": renews_at, "createdAt": _iso(end_user.created_at)})
    tiers = list(tiers_for_project(project=project, mode=mode).prefetch_related("tier_features"))
    events = recent_stripe_events(project=project, mode=mode, limit=API_RECENT_EVENTS)
    return {
        "projectId": project.public_id,
        "mode": mode,
        "currency": currency,
        "activeSubscriptions": overview.subscriptions.active,
        "cancelingSubscriptions": overview.subscriptions.canceling,
        "trialingSubscriptions": overview.subscriptions.trialing,
        "mrr": overview.mrr.get(currency, 0),
        "mrrByCurrency": overview.mrr,
        "totalRevenue": add_money(from_subscriptions, from_store).get(currency, 0),
        "subscriptionRevenue": from_subscriptions.get(currency, 0),
        "storeRevenue": from_store.get(currency, 0),
        "revenueThisMonth": overview.revenue_this_month.get(currency, 0),
        "totalSales": sum(row["orders"] for row in sales.values()),
        "avgOrderValue": _average(in_currency["gross"], in_currency["orders"]),
        "products": list(products_with_stock(project_id=project.id, mode=mode)),
        "orders": list(orders_search(project_id=project.id, mode=mode)[:API_ORDERS]),
        "usageThisPeriod": overview.calls_this_period,
        "customersTotal": overview.end_users,
        "customersNewThisMonth": overview.end_users_new,
        "customers": customers,
        "tiers": tiers,
        "webhookStatus": {
            "url": f"{settings.SITE_URL}{reverse('stripe-webhook')}",
            "lastEvent": _iso(events[0].received_at) if events else None,
            "failedEvents": overview.failed_events,
            "recentEvents": [{"type": e.type, "timestamp": _iso(e.received_at), "status": e.status} for e in events],
        },
    }


def dashboard_totals(*, platform: Platform, mode: str, now: datetime | None = None) -> dict:
    """The original's totals (``totalRevenue``, ``totalCustomers``, ``totalMRR``) over every
    project of the developer in one mode, plus each project's share."""
    totals = platform_totals(platform=platform, mode=mode, now=now)
    currency = totals.currency
    return {
        "mode": mode,
        "currency": currency,
        "totalRevenue": totals.total.revenue_all_time.get(currency, 0),
        "totalRevenueThisMonth": totals.total.revenue_this_month.get(currency, 0),
        "totalCustomers": totals.total.end_users,
        "totalMRR": totals.total.mrr.get(currency, 0),
        "activeSubscriptions": totals.total.active_subscriptions,
        "cancelingSubscriptions": totals.total.canceling_subscriptions,
        "projects": [{"id": row.project.public_id, "name": row.project.name, "mrr": row.mrr.get(currency, 0),
                      "revenue": row.revenue_all_time.get(currency, 0), "customers": row.end_users,
                      "activeSubscriptions": row.active_subscriptions} for row in totals.rows],
    }


def platform_numbers() -> dict:
    """The admin index's figures for operators."""
    return {**platform_counts(), "plan_mrr": platform_plan_mrr(livemode=settings.STRIPE_LIVE_MODE),
            "failed_events": failed_events_total()}
