"""``POST /api/data`` with an ``Idempotency-Key``: a retry gets the first answer and counts nothing.

A key belongs to one end user and lives ``IDEMPOTENCY_KEY_TTL`` (24 h). The first call
*claims* it (a row in ``TrackedCall``, unique per end user and key) before counting, and the
same transaction stores its answer: the usage it counted (200), or the usage it was refused
at (403 ``tier_limit_reached``). A later call with the key gets that answer back, marked
``Idempotent-Replayed: true``, and counts nothing; one that asks something else with it (another
feature or amount) is a 409. Calls that fail otherwise (unknown end user or feature) keep no
claim: the key stays free.

Concurrent calls with one key: the claim is ``INSERT … ON CONFLICT``, so the second waits on
the unique index until the first commits, then finds the key taken and reads the first
answer. Exactly one of them counts, and all get the same answer.

- PostgreSQL: ``usage_track_once(…)``, a PL/pgSQL function (migration ``usage.0003``), does
  claim, count and store in one statement: one round trip, like the call without a key.
- Other databases (SQLite, the local default): the same steps in one transaction, which
  SQLite's write lock (``BEGIN IMMEDIATE``) serialises.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.db import connection, transaction

from dreamapi.errors import ApiError, Conflict
from tenants.models import EndUser
from tenants.services import end_user_ensure_external

from .entitlements import feature_not_metered, unknown_feature
from .models import TrackedCall
from .periods import as_aware
from .services import (
    Usage,
    _sql_params,
    async_commit_allowed,
    end_user_not_found,
    is_default_meter,
    refused,
    usage_count,
)

IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
IDEMPOTENCY_KEY_MAX_LENGTH = 255
# Printable ASCII without spaces: UUIDs, ULIDs, hashes, "order-42:retry"…
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_KEY_RE = re.compile(IDEMPOTENCY_KEY_PATTERN)


def check_idempotency_key(value: str) -> str:
    if not _KEY_RE.match(value):
        raise ApiError(f"Idempotency-Key must be 1–{IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters without "
                       "spaces (a UUID, for example).", code="invalid_idempotency_key")
    return value


def _key_reused(key: str) -> Conflict:
    return Conflict(f"Idempotency-Key '{key[:40]}' was first used for another feature or amount; a retry must send "
                    "the same body. Use a new key for a new call.", code="idempotency_key_reused")


def _answer(*, key: str, feature: str | None, amount: int, replayed: bool, status: int, count: int,
            limit: int | None, start, end, public_id: str, plan: str, stored_feature: str,
            stored_amount: int) -> Usage:
    """The usage of a first answer (``replayed`` False) or of a stored one; raises it when it is a 403."""
    if replayed and (stored_feature != (feature or "") or stored_amount != amount):
        raise _key_reused(key)
    usage = Usage(user_id=public_id, plan=plan, count=count, limit=limit, period_start=as_aware(start),
                  period_end=as_aware(end), feature=feature, replayed=replayed)
    if status != 200:
        raise refused(usage)
    return usage


def usage_track_once(*, project_id: int, mode: str, user_public_id: str | None, external_id: str | None,
                     feature: str | None, amount: int, key: str, create_unknown: bool, now: datetime) -> Usage:
    """``usage_track`` with an idempotency key (see the module docstring)."""
    check_idempotency_key(key)
    if connection.vendor == "postgresql":
        return _track_once_postgresql(project_id=project_id, mode=mode, user_public_id=user_public_id,
                                      external_id=external_id, feature=feature, amount=amount, key=key,
                                      create_unknown=create_unknown, now=now)
    return _track_once_serialised(project_id=project_id, mode=mode, user_public_id=user_public_id,
                                  external_id=external_id, feature=feature, amount=amount, key=key,
                                  create_unknown=create_unknown, now=now)


_CALL = """
SELECT r_outcome, r_status, r_count, r_limit, r_start, r_end, r_public_id, r_plan, r_feature, r_amount
FROM usage_track_once(%(project)s::bigint, %(mode)s::text, %(user)s::text, %(by_external)s::boolean,
                      %(meter)s::text, %(requested)s::text, %(amount)s::integer, %(key)s::text,
                      %(now)s::timestamptz, %(month_start)s::timestamptz, %(month_end)s::timestamptz,
                      %(expires)s::timestamptz, %(async_commit)s::boolean)
"""


def _call(params: dict) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(_CALL, params)
        return cursor.fetchone()


def _track_once_postgresql(*, project_id: int, mode: str, user_public_id: str | None, external_id: str | None,
                           feature: str | None, amount: int, key: str, create_unknown: bool,
                           now: datetime) -> Usage:
    by_external = user_public_id is None
    params = {
        **_sql_params(project_id=project_id, mode=mode, user_public_id=external_id if by_external else user_public_id,
                      now=now, amount=amount),
        "by_external": by_external,
        "meter": "" if is_default_meter(feature) else feature,
        "requested": feature or "",
        "key": key,
        "expires": connection.ops.adapt_datetimefield_value(now + IDEMPOTENCY_KEY_TTL),
        "async_commit": async_commit_allowed(),
    }
    row = _call(params)
    if row is None and create_unknown and by_external:
        # The first call for this external id: create the end user and go again.
        end_user_ensure_external(project_id=project_id, mode=mode, external_id=external_id)
        row = _call(params)
    if row is None:
        raise end_user_not_found(user_public_id or external_id or "")
    outcome, status, count, limit, start, end, public_id, plan, stored_feature, stored_amount = row
    if outcome == "unknown_feature":
        raise unknown_feature(feature, mode=mode)
    if outcome == "not_metered":
        raise feature_not_metered(feature)
    return _answer(key=key, feature=feature, amount=amount, replayed=outcome == "replayed", status=status,
                   count=count, limit=limit, start=start, end=end, public_id=public_id, plan=plan,
                   stored_feature=stored_feature, stored_amount=stored_amount)


def _track_once_serialised(*, project_id: int, mode: str, user_public_id: str | None, external_id: str | None,
                           feature: str | None, amount: int, key: str, create_unknown: bool,
                           now: datetime) -> Usage:
    lookup = {"public_id": user_public_id} if user_public_id is not None else {"external_id": external_id}
    end_users = EndUser.objects.filter(project_id=project_id, mode=mode, **lookup)
    with transaction.atomic():
        end_user = end_users.values("id", "public_id").first()
        if end_user is None and create_unknown and external_id is not None:
            end_user_ensure_external(project_id=project_id, mode=mode, external_id=external_id)
            end_user = end_users.values("id", "public_id").first()
        if end_user is None:
            raise end_user_not_found(user_public_id or external_id or "")
        stored = TrackedCall.objects.filter(end_user_id=end_user["id"], key=key, expires_at__gt=now).first()
        if stored is not None:
            return _answer(key=key, feature=feature, amount=amount, replayed=True, status=stored.status_code,
                           count=stored.count, limit=stored.call_limit, start=stored.period_start,
                           end=stored.period_end, public_id=end_user["public_id"], plan=stored.plan,
                           stored_feature=stored.feature, stored_amount=stored.amount)
        TrackedCall.objects.filter(end_user_id=end_user["id"], key=key).delete()  # an expired one
        claim = TrackedCall.objects.create(end_user_id=end_user["id"], key=key, feature=feature or "",
                                           amount=amount, created_at=now, expires_at=now + IDEMPOTENCY_KEY_TTL)
        # Unknown feature and the like raise here: the transaction and its claim are rolled back.
        usage, counted = usage_count(project_id=project_id, mode=mode, user_public_id=end_user["public_id"],
                                     external_id=None, feature=feature, amount=amount, create_unknown=False,
                                     now=now)
        TrackedCall.objects.filter(pk=claim.pk).update(
            status_code=200 if counted else 403, count=usage.count, call_limit=usage.limit,
            period_start=usage.period_start, period_end=usage.period_end, plan=usage.plan)
    if not counted:
        raise refused(usage)
    return usage


def tracked_calls_sweep(*, now: datetime, batch: int = 10_000) -> int:
    """Delete expired idempotency keys (periodic task); returns how many."""
    deleted = 0
    while True:
        ids = list(TrackedCall.objects.filter(expires_at__lte=now).values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += TrackedCall.objects.filter(pk__in=ids).delete()[0]
