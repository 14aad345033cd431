from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from django.utils import timezone

from tenants.models import EndUser

from .entitlements import BOOLEAN, Feature, default_meter, feature_not_metered, feature_resolve, project_meters
from .models import FeatureCounter, UsageCounter
from .periods import billing_or_month_period
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
