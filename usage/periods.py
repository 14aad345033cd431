"""Usage periods: half-open UTC intervals ``[start, end)``."""

from __future__ import annotations

from datetime import datetime
from datetime import timezone as dt_timezone

from django.utils.dateparse import parse_datetime


def month_period(now: datetime) -> tuple[datetime, datetime]:
    now = now.astimezone(dt_timezone.utc)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def billing_or_month_period(
    now: datetime, billing_start: datetime | None, billing_end: datetime | None
) -> tuple[datetime, datetime]:
    """A paid plan counts in its billing period while that period is current; otherwise the calendar month."""
    if billing_start is not None and billing_end is not None and billing_start <= now < billing_end:
        return billing_start, billing_end
    return month_period(now)


def as_aware(value: datetime | str) -> datetime:
    """A timestamp from a raw cursor (SQLite gives text, PostgreSQL datetimes) as aware UTC."""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"not a timestamp: {value!r}")
        value = parsed
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_timezone.utc)
    return value.astimezone(dt_timezone.utc)
