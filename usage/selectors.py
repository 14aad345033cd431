from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime

from django.db.models import Case, DateTimeField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from tenants.models import EndUser

from .entitlements import BOOLEAN, Feature, default_meter, feature_not_metered, feature_resolve, project_meters
from .models import FeatureCounter, UsageCounter, UsageDay
from .periods import billing_or_month_period, month_period
from .services import Usage, end_user_not_found, fits, is_default_meter


@dataclass(frozen=True)
class UsageReport(Usage):
    """``GET /api/usage``: the default meter, and every meter when the project has features."""

    meters: dict[str, Usage] | None = None


@dataclass(frozen=True)
class FeatureCheck:
    """``GET /api/check``: may the end user use ``feature`` (``amount`` more of a metered one)?"""

    user_id: str
    plan: str
    feature: str
    kind: str
    allowed: bool
    usage: Usage | None = None  # metered features only


def _period(end_user: EndUser, now: datetime) -> tuple[datetime, datetime]:
    return billing_or_month_period(now, end_user.billing_period_start, end_user.billing_period_end)


def _usage(end_user: EndUser, meter: Feature, count: int, period: tuple[datetime, datetime],
           feature: str | None) -> Usage:
    return Usage(user_id=end_user.public_id, plan=end_user.tier.slug, count=count, limit=meter.limit,
                 period_start=period[0], period_end=period[1], feature=feature)


def _meter(end_user: EndUser, feature: str | None) -> Feature:
    if is_default_meter(feature):
        return default_meter(end_user.tier.monthly_limit)
    return feature_resolve(tier=end_user.tier, key=feature)


def _meter_usage(end_user: EndUser, meter: Feature, now: datetime, feature: str | None) -> Usage:
    start, end = _period(end_user, now)
    if is_default_meter(feature):
        counters = UsageCounter.objects.filter(end_user=end_user, period_start=start)
    else:
        counters = FeatureCounter.objects.filter(end_user=end_user, feature=feature, period_start=start)
    count = counters.values_list("count", flat=True).first() or 0
    return _usage(end_user, meter, count, (start, end), feature)


def usage_for_end_user(*, end_user: EndUser, now: datetime | None = None, feature: str | None = None) -> Usage:
    """This period's usage of one meter (None: the default meter). 404 for a feature no tier of
    the project has, 400 for an on/off one."""
    meter = _meter(end_user, feature)
    if meter.kind == BOOLEAN:
        raise feature_not_metered(meter.key)
    return _meter_usage(end_user, meter, now or timezone.now(), feature)


def end_user_get(*, project_id: int, mode: str, user_public_id: str | None = None,
                 external_id: str | None = None) -> EndUser:
    """The end user named by our id or the app's external id, with their tier, or 404."""
    lookup = {"public_id": user_public_id} if user_public_id is not None else {"external_id": external_id}
    end_user = EndUser.objects.filter(project_id=project_id, mode=mode, **lookup).select_related("tier").first()
    if end_user is None:
        raise end_user_not_found(user_public_id or external_id or "")
    return end_user


def usage_get(*, project_id: int, mode: str, user_public_id: str | None = None, external_id: str | None = None,
              feature: str | None = None, now: datetime | None = None) -> Usage:
    """The usage of one meter of the end user named by our id or the app's external id, or 404."""
    end_user = end_user_get(project_id=project_id, mode=mode, user_public_id=user_public_id, external_id=external_id)
    return usage_for_end_user(end_user=end_user, now=now, feature=feature)


def usage_report(*, end_user: EndUser, now: datetime | None = None) -> UsageReport:
    """The default meter as ``usage_for_end_user`` has it, plus every meter of the project
    (``meters``) when it defines features besides the default meter."""
    now = now or timezone.now()
    usage = usage_for_end_user(end_user=end_user, now=now)
    meters = project_meters(tier=end_user.tier)
    if meters is None:
        return UsageReport(**asdict(usage))
    period = (usage.period_start, usage.period_end)
    counts = dict(FeatureCounter.objects.filter(end_user=end_user, period_start=period[0])
                  .values_list("feature", "count"))
    return UsageReport(**asdict(usage), meters={
        key: _usage(end_user, meter, usage.count if is_default_meter(key) else counts.get(key, 0), period, key)
        for key, meter in meters.items()
    })


def feature_check(*, end_user: EndUser, feature: str | None = None, amount: int = 1,
                  now: datetime | None = None) -> FeatureCheck:
    """Whether the end user may use ``feature`` (None: the default meter) now, ``amount`` more
    of a metered one, without counting anything."""
    meter = _meter(end_user, feature)
    check = {"user_id": end_user.public_id, "plan": end_user.tier.slug, "feature": meter.key, "kind": meter.kind}
    if meter.kind == BOOLEAN:
        return FeatureCheck(**check, allowed=meter.enabled)
    usage = _meter_usage(end_user, meter, now or timezone.now(), feature)
    return FeatureCheck(**check, allowed=fits(usage, amount), usage=usage)


def usage_by_end_user(*, end_users: list[EndUser], now: datetime | None = None) -> dict[int, int]:
    """This period's count of the default meter for each of a page of end users, in one query."""
    now = now or timezone.now()
    wanted = {
        eu.id: billing_or_month_period(now, eu.billing_period_start, eu.billing_period_end)[0] for eu in end_users
    }
    rows = UsageCounter.objects.filter(end_user_id__in=wanted).values_list("end_user_id", "period_start", "count")
    return {eu_id: count for eu_id, start, count in rows if wanted.get(eu_id) == start}


def _in_billing_period(now: datetime, prefix: str = "") -> Q:
    """The end user (through ``prefix``) counts in a billing period that is current."""
    return Q(**{f"{prefix}billing_period_start__lte": now, f"{prefix}billing_period_end__gt": now})


def end_users_with_usage(end_users: QuerySet[EndUser], now: datetime | None = None) -> QuerySet[EndUser]:
    """Annotate each end user with ``usage``: their count in their current period (0 without
    a counter), computed in the same query so the list can sort and filter by it."""
    now = now or timezone.now()
    month_start, _ = month_period(now)
    period_start = Case(When(_in_billing_period(now), then=F("billing_period_start")),
                        default=Value(month_start), output_field=DateTimeField())
    counter = UsageCounter.objects.filter(end_user=OuterRef("pk"), period_start=OuterRef("current_period_start"))
    return end_users.annotate(current_period_start=period_start).annotate(
        usage=Coalesce(Subquery(counter.values("count")[:1]), Value(0)))


def usage_calls_this_period(*, project_ids: Iterable[int], mode: str,
                            now: datetime | None = None) -> dict[int, int]:
    """``{project_id: calls}``: each end user's count in their current usage period, summed."""
    now = now or timezone.now()
    month_start, _ = month_period(now)
    billing = _in_billing_period(now, "end_user__")
    # Spelled out rather than ~billing: NOT over the nullable period columns would drop the NULLs.
    no_billing = (Q(end_user__billing_period_start__isnull=True) | Q(end_user__billing_period_end__isnull=True)
                  | Q(end_user__billing_period_start__gt=now) | Q(end_user__billing_period_end__lte=now))
    current = ((billing & Q(period_start=F("end_user__billing_period_start")))
               | (no_billing & Q(period_start=month_start)))
    rows = (UsageCounter.objects.filter(current, end_user__project_id__in=list(project_ids), end_user__mode=mode)
            .values("end_user__project_id").annotate(calls=Sum("count")))
    return {row["end_user__project_id"]: row["calls"] for row in rows}


def usage_calls_daily(*, project_id: int, mode: str, since: date) -> dict[date, int]:
    """Tracked calls per UTC day from the daily history (exact to the fold's interval)."""
    rows = (UsageDay.objects.filter(project_id=project_id, mode=mode, day__gte=since)
            .values("day").annotate(calls=Sum("calls")))
    return {row["day"]: row["calls"] for row in rows}


def usage_calls_daily_for_end_user(*, end_user: EndUser, since: date) -> dict[date, int]:
    return dict(UsageDay.objects.filter(end_user=end_user, day__gte=since).values_list("day", "calls"))
