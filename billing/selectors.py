from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import timezone as dt_timezone
from fractions import Fraction

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from djstripe.models import Subscription as PlatformSubscription

from tenants.models import EndUser, Mode, Project

from .models import StripeConnection, StripeEvent, Subscription, Tier, TierPrice


def active_connection(*, project_id: int, mode: str) -> StripeConnection | None:
    """The project's connected Stripe account in this mode, if any."""
    return StripeConnection.objects.filter(project_id=project_id, mode=mode, disconnected_at__isnull=True).first()


def project_billing_summary(*, project: Project, mode: str) -> dict:
    """What the project page shows about Stripe in this mode.

    ``onboarding_incomplete``: the connected account can't take payments yet (its owner skipped
    Stripe's onboarding), so checkouts will fail. ``revoked_connection``: with nothing connected,
    the last connection if it ended because the account's owner revoked our access in Stripe.
    """
    connection = active_connection(project_id=project.id, mode=mode)
    revoked = None
    if connection is None:
        last = StripeConnection.objects.filter(project=project, mode=mode).order_by("-connected_at").first()
        revoked = last if last is not None and last.deauthorized_at is not None else None
    events = StripeEvent.objects.filter(project=project, livemode=(mode == "live"))
    counts = events.aggregate(failed=Count("id", filter=Q(status=StripeEvent.Status.FAILED)),
                              total=Count("id"))
    subscriptions = Subscription.objects.filter(end_user__project=project, end_user__mode=mode,
                                                status__in=Subscription.ACTIVE_STATUSES).count()
    return {"connection": connection, "failed_events": counts["failed"], "events": counts["total"],
            "active_subscriptions": subscriptions,
            "onboarding_incomplete": connection is not None and connection.onboarding_incomplete,
            "revoked_connection": revoked}


def tiers_for_project(*, project: Project, mode: str) -> QuerySet[Tier]:
    return Tier.objects.filter(project=project, mode=mode)


def tier_for_project(*, project: Project, mode: str, slug: str) -> Tier | None:
    return Tier.objects.filter(project=project, mode=mode, slug=slug).first()


def stripe_events_for_project(*, project: Project, mode: str, status: str = "") -> QuerySet[StripeEvent]:
    """The project's Stripe events in one mode, newest first; ``status`` filters when it is a known one."""
    events = StripeEvent.objects.filter(project=project, livemode=(mode == Mode.LIVE))
    if status in StripeEvent.Status.values:
        events = events.filter(status=status)
    return events


def stripe_event_for_project(*, project: Project, event_id: int) -> StripeEvent | None:
    return StripeEvent.objects.filter(project=project, pk=event_id).first()



# --- metrics for the dashboard ------------------------------------------------------------------

# How many of a price's intervals make a month (MRR is money per month).
_MONTHS_PER_INTERVAL = {"month": Fraction(1), "year": Fraction(1, 12), "week": Fraction(52, 12),
                        "day": Fraction(365, 12)}


def _round_half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


@dataclass
class SubscriptionMetrics:
    """A project's subscriptions in one mode, as of a moment.

    ``active`` counts every subscription that gives access (active, trialing, past due),
    including the ``canceling`` ones (cancelled at period end, period not over yet). ``mrr``
    is monthly recurring revenue per currency in minor units: each active subscription's price
    normalized to a month (a yearly price counts 1/12), canceling ones included until their
    period ends, trials excluded (they pay nothing yet).
    """

    active: int = 0
    canceling: int = 0
    trialing: int = 0
    mrr: dict[str, int] = field(default_factory=dict)


def subscription_metrics(*, project_ids: Iterable[int], mode: str,
                         now: datetime | None = None) -> dict[int, SubscriptionMetrics]:
    """``{project_id: SubscriptionMetrics}`` for the given projects (every id gets an entry)."""
    now = now or timezone.now()
    ids = list(project_ids)
    price = TierPrice.objects.filter(stripe_price_id=OuterRef("stripe_price_id"))
    rows = (
        Subscription.objects.filter(end_user__project_id__in=ids, end_user__mode=mode,
                                    status__in=Subscription.ACTIVE_STATUSES)
        # A subscription cancelled at period end stops counting when that period is over,
        # even if Stripe's "deleted" event has not arrived yet.
        .filter(Q(cancel_at_period_end=False) | Q(current_period_end__isnull=True) | Q(current_period_end__gt=now))
        .annotate(price_amount=Subquery(price.values("amount_cents")[:1]),
                  price_currency=Subquery(price.values("currency")[:1]),
                  price_interval=Subquery(price.values("interval")[:1]))
        .values_list("end_user__project_id", "status", "cancel_at_period_end", "price_amount", "price_currency",
                     "price_interval", "tier__price_cents", "tier__currency", "tier__interval")
    )
    metrics = {project_id: SubscriptionMetrics() for project_id in ids}
    monthly: dict[int, dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    for project_id, status, canceling, amount, currency, interval, tier_amount, tier_currency, tier_interval in rows:
        entry = metrics[project_id]
        entry.active += 1
        entry.canceling += bool(canceling)
        if status == "trialing":
            entry.trialing += 1
            continue
        if amount is None:  # a price we never recorded: the tier's current one is the best we know
            amount, currency, interval = tier_amount, tier_currency, tier_interval
        if amount is None:
            continue
        monthly[project_id][currency] += amount * _MONTHS_PER_INTERVAL.get(interval, Fraction(1))
    for project_id, per_currency in monthly.items():
        metrics[project_id].mrr = {currency: _round_half_up(value) for currency, value in per_currency.items()}
    return metrics


def _paid_invoices(*, project_ids: Iterable[int], mode: str, since: datetime | None, until: datetime | None):
    """``(project_id, received_at, amount_paid, currency)`` of each paid invoice once, from the
    ``invoice.paid`` events Stripe sent for the projects' connected accounts."""
    events = StripeEvent.objects.filter(project_id__in=list(project_ids), livemode=(mode == Mode.LIVE),
                                        type="invoice.paid")
    if since is not None:
        events = events.filter(received_at__gte=since)
    if until is not None:
        events = events.filter(received_at__lt=until)
    seen: set[str] = set()
    for project_id, received_at, invoice_id, amount, currency in events.order_by("received_at").values_list(
        "project_id", "received_at", "payload__data__object__id", "payload__data__object__amount_paid",
        "payload__data__object__currency",
    ).iterator():
        if not isinstance(amount, int) or not isinstance(currency, str) or invoice_id in seen:
            continue
        seen.add(invoice_id)
        yield project_id, received_at, amount, currency.lower()


def subscription_revenue(*, project_ids: Iterable[int], mode: str, since: datetime | None = None,
                         until: datetime | None = None) -> dict[int, dict[str, int]]:
    """Money received for subscriptions (paid invoices) in ``[since, until)``, per project and
    currency, in minor units."""
    revenue: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for project_id, _, amount, currency in _paid_invoices(project_ids=project_ids, mode=mode, since=since,
                                                          until=until):
        revenue[project_id][currency] += amount
    return {project_id: dict(per_currency) for project_id, per_currency in revenue.items()}


def subscription_revenue_daily(*, project_id: int, mode: str, since: datetime) -> dict[date, dict[str, int]]:
    """Paid invoices per UTC day since ``since``, per currency."""
    daily: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for _, received_at, amount, currency in _paid_invoices(project_ids=[project_id], mode=mode, since=since,
                                                          until=None):
        daily[received_at.astimezone(dt_timezone.utc).date()][currency] += amount
    return {day: dict(per_currency) for day, per_currency in daily.items()}


def failed_event_counts(*, project_ids: Iterable[int], mode: str) -> dict[int, int]:
    return dict(
        StripeEvent.objects.filter(project_id__in=list(project_ids), livemode=(mode == Mode.LIVE),
                                   status=StripeEvent.Status.FAILED)
        .values_list("project_id").annotate(n=Count("id")).values_list("project_id", "n")
    )


def recent_stripe_events(*, project: Project, mode: str, limit: int = 10) -> list[StripeEvent]:
    return list(stripe_events_for_project(project=project, mode=mode).defer("payload")[:limit])


# --- one end user ----------------------------------------------------------------------------------


def end_user_subscription(*, end_user: EndUser) -> Subscription | None:
    """The end user's latest subscription (any status), for the dashboard's detail page."""
    return end_user.subscriptions.select_related("tier").order_by("-created_at").first()


def end_user_stripe_ids(*, end_user: EndUser) -> tuple[list[str], list[str]]:
    """(customer ids, subscription ids) the end user has on connected accounts."""
    customers = set(end_user.billing_customers.values_list("stripe_customer_id", flat=True))
    subscriptions = list(end_user.subscriptions.values_list("stripe_subscription_id", flat=True))
    customers.update(end_user.subscriptions.values_list("stripe_customer_id", flat=True))
    return sorted(c for c in customers if c), subscriptions


def end_user_stripe_events(*, end_user: EndUser, limit: int = 20) -> list[StripeEvent]:
    """Recent Stripe events that name the end user's Stripe customer or subscriptions."""
    customers, subscriptions = end_user_stripe_ids(end_user=end_user)
    if not customers and not subscriptions:
        return []
    match = Q(payload__data__object__customer__in=customers) | Q(payload__data__object__id__in=subscriptions)
    return list(StripeEvent.objects.filter(match, project_id=end_user.project_id,
                                           livemode=(end_user.mode == Mode.LIVE)).defer("payload")[:limit])


def end_users_with_subscription(end_users: QuerySet[EndUser]) -> QuerySet[EndUser]:
    """Annotate each end user with their latest subscription's ``sub_status``,
    ``sub_cancel_at_period_end`` and ``sub_period_end`` (null without one)."""
    latest = Subscription.objects.filter(end_user=OuterRef("pk")).order_by("-created_at")
    return end_users.annotate(
        sub_status=Subquery(latest.values("status")[:1]),
        sub_cancel_at_period_end=Subquery(latest.values("cancel_at_period_end")[:1]),
        sub_period_end=Subquery(latest.values("current_period_end")[:1]),
    )


SUBSCRIPTION_FILTERS = {
    "subscribed": "Paying or trialing",
    "canceling": "Canceling",
    "past_due": "Past due",
    "none": "No subscription",
}


def end_users_by_subscription(end_users: QuerySet[EndUser], status: str,
                              now: datetime | None = None) -> QuerySet[EndUser]:
    """Filter end users annotated by :func:`end_users_with_subscription` by a key of
    ``SUBSCRIPTION_FILTERS``; an unknown key filters nothing."""
    now = now or timezone.now()
    ongoing = Q(sub_status__in=Subscription.ACTIVE_STATUSES) & (
        Q(sub_cancel_at_period_end=False) | Q(sub_period_end__isnull=True) | Q(sub_period_end__gt=now))
    if status == "subscribed":
        return end_users.filter(ongoing)
    if status == "canceling":
        return end_users.filter(ongoing, sub_cancel_at_period_end=True)
    if status == "past_due":
        return end_users.filter(sub_status="past_due")
    if status == "none":
        ended = Q(sub_cancel_at_period_end=True, sub_period_end__lte=now)
        return end_users.filter(Q(sub_status__isnull=True) | ~Q(sub_status__in=Subscription.ACTIVE_STATUSES) | ended)
    return end_users


# --- the platform plan (what developers pay dream-api), for operators -----------------------------

_PAYING_STATUSES = ("active", "past_due")


def platform_plan_mrr(*, livemode: bool) -> dict[str, int]:
    """MRR of developers' platform plans per currency (minor units), from dj-stripe's copy of
    the platform account's subscriptions: active and past due, each item's price per month."""
    monthly: dict[str, Fraction] = defaultdict(Fraction)
    rows = PlatformSubscription.objects.filter(livemode=livemode, stripe_data__status__in=_PAYING_STATUSES)
    for data in rows.values_list("stripe_data", flat=True):
        for item in ((data or {}).get("items") or {}).get("data") or []:
            price = item.get("price") or item.get("plan") or {}
            amount, currency = price.get("unit_amount", price.get("amount")), price.get("currency")
            interval = (price.get("recurring") or {}).get("interval") or price.get("interval") or "month"
            if isinstance(amount, int) and isinstance(currency, str):
                monthly[currency.lower()] += amount * (item.get("quantity") or 1) * _MONTHS_PER_INTERVAL.get(
                    interval, Fraction(1))
    return {currency: _round_half_up(value) for currency, value in monthly.items()}


def failed_events_total() -> int:
    return StripeEvent.objects.filter(status=StripeEvent.Status.FAILED).count()
