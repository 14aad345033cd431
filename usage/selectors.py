from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from tenants.models import EndUser

from .models import UsageCounter
from .periods import billing_or_month_period
from .services import Usage, end_user_not_found


def usage_for_end_user(*, end_user: EndUser, now: datetime | None = None) -> Usage:
    now = now or timezone.now()
    start, end = billing_or_month_period(now, end_user.billing_period_start, end_user.billing_period_end)
    count = (
        UsageCounter.objects.filter(end_user=end_user, period_start=start).values_list("count", flat=True).first()
        or 0
    )
    return Usage(user_id=end_user.public_id, plan=end_user.tier.slug, count=count, limit=end_user.tier.monthly_limit,
                 period_start=start, period_end=end)


def usage_get(*, project_id: int, mode: str, user_public_id: str | None = None, external_id: str | None = None,
              now: datetime | None = None) -> Usage:
    """The usage of the end user named by our id or the app's external id, or 404."""
    lookup = {"public_id": user_public_id} if user_public_id is not None else {"external_id": external_id}
    end_user = EndUser.objects.filter(project_id=project_id, mode=mode, **lookup).select_related("tier").first()
    if end_user is None:
        raise end_user_not_found(user_public_id or external_id or "")
    return usage_for_end_user(end_user=end_user, now=now)


def usage_by_end_user(*, end_users: list[EndUser], now: datetime | None = None) -> dict[int, int]:
    """This period's count for each of a page of end users, in one query."""
    now = now or timezone.now()
    wanted = {
        eu.id: billing_or_month_period(now, eu.billing_period_start, eu.billing_period_end)[0] for eu in end_users
    }
    rows = UsageCounter.objects.filter(end_user_id__in=wanted).values_list("end_user_id", "period_start", "count")
    return {eu_id: count for eu_id, start, count in rows if wanted.get(eu_id) == start}
