"""Writes for features: a tier's feature definitions, and the entitlement version of end users
(``ent_ver`` in their token), bumped whenever what they are entitled to changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from dreamapi.errors import ApiError
from tenants.models import EndUser
from webhooks.events import PLAN_CHANGED
from webhooks.services import developer_event_emit

from .entitlements import BOOLEAN, METERED, check_feature_key, end_user_entitlements
from .models import DEFAULT_METER, TierFeature

MAX_FEATURES_PER_TIER = 50


@dataclass(frozen=True)
class FeatureInput:
    """One feature as a form or a script gives it: ``limit`` for a metered one (None:
    unlimited), ``enabled`` for a boolean one."""

    key: str
    kind: str
    limit: int | None = None
    enabled: bool = True


def _invalid(message: str) -> ApiError:
    return ApiError(message, code="invalid_features", extra={"fields": {"features": [message]}})


def tier_features_check(*, project_id: int, mode: str, features: list[FeatureInput],
                        tier_id: int | None = None) -> list[FeatureInput]:
    """Refuse features a tier of this project and mode (``tier_id``; None: a tier not saved yet)
    could not have, before anything is saved."""
    if len(features) > MAX_FEATURES_PER_TIER:
        raise _invalid(f"A tier has at most {MAX_FEATURES_PER_TIER} features.")
    seen: set[str] = set()
    for feature in features:
        check_feature_key(feature.key, field="features")
        if feature.key == DEFAULT_METER:
            raise _invalid(f"'{DEFAULT_METER}' is the default meter: its limit is the tier's calls per period.")
        if feature.key in seen:
            raise _invalid(f"'{feature.key}' is listed twice.")
        seen.add(feature.key)
        if feature.kind not in (METERED, BOOLEAN):
            raise _invalid(f"'{feature.key}': a feature is metered or boolean.")
        if feature.kind == METERED and feature.limit is not None and not (
                isinstance(feature.limit, int) and 0 <= feature.limit <= 2_147_483_647):
            raise _invalid(f"'{feature.key}': a limit is a whole number from 0, or empty for unlimited.")
    # A key means one kind of feature in the whole project and mode: the API counts or checks it by name.
    others = dict(TierFeature.objects.filter(tier__project_id=project_id, tier__mode=mode, key__in=seen)
                  .exclude(tier_id=tier_id).values_list("key", "kind"))
    for feature in features:
        if others.get(feature.key, feature.kind) != feature.kind:
            raise _invalid(f"'{feature.key}' is {others[feature.key]} in another tier of this project; a feature "
                           "has one kind in every tier.")
    return features


_NOT_GIVEN: Any = object()


def tier_features_set(*, tier, features: list[FeatureInput],
                      previous_monthly_limit: int | None = _NOT_GIVEN) -> list[TierFeature]:
    """Make ``features`` the tier's features (besides its default meter). When that changes
    what the tier grants (or its calls per period changed from ``previous_monthly_limit``,
    when given: None is unlimited), the entitlement version of each of its end users goes up:
    their next token says so."""
    features = tier_features_check(project_id=tier.project_id, mode=tier.mode, features=features, tier_id=tier.id)
    wanted = {f.key: f for f in features}
    with transaction.atomic():
        existing = {row.key: row for row in TierFeature.objects.select_for_update().filter(tier=tier)}
        changed = set(existing) != set(wanted)
        TierFeature.objects.filter(tier=tier).exclude(key__in=wanted).delete()
        for key, feature in wanted.items():
            values = {"kind": feature.kind,
                      "period_limit": feature.limit if feature.kind == METERED else None,
                      "enabled": feature.enabled if feature.kind == BOOLEAN else True}
            row = existing.get(key)
            if row is None:
                TierFeature.objects.create(tier=tier, key=key, **values)
            elif any(getattr(row, name) != value for name, value in values.items()):
                TierFeature.objects.filter(pk=row.pk).update(**values, updated_at=timezone.now())
                changed = True
        if changed or (previous_monthly_limit is not _NOT_GIVEN and previous_monthly_limit != tier.monthly_limit):
            entitlements_bump(tier_id=tier.id)
    return list(TierFeature.objects.filter(tier=tier))


_BUMP = """
INSERT INTO usage_entitlementversion (end_user_id, version, changed_at)
{rows}
ON CONFLICT (end_user_id) DO UPDATE
    SET version = usage_entitlementversion.version + 1, changed_at = excluded.changed_at
"""
_BUMP_ONE = _BUMP.format(rows="VALUES (%s, 2, %s)")
_BUMP_TIER = _BUMP.format(rows="SELECT id, 2, %s FROM tenants_enduser WHERE tier_id = %s")


def entitlements_bump(*, end_user_id: int | None = None, tier_id: int | None = None,
                      now: datetime | None = None) -> None:
    """One more entitlement version for an end user, or every end user of a tier: one upsert
    (no row yet means version 1, so the first bump writes 2)."""
    now = connection.ops.adapt_datetimefield_value(now or timezone.now())
    with connection.cursor() as cursor:
        if end_user_id is not None:
            cursor.execute(_BUMP_ONE, [end_user_id, now])
        if tier_id is not None:
            cursor.execute(_BUMP_TIER, [now, tier_id])


def end_user_plan_events(*, event: str, end_user: EndUser, previous_tier=None, **details: Any) -> None:
    """The tenants listener: a plan change bumps the entitlement version and announces
    ``plan.changed`` with the new entitlements."""
    if event != "plan_changed":
        return
    entitlements_bump(end_user_id=end_user.id)

    def data() -> dict[str, Any]:
        entitlements = end_user_entitlements(end_user=end_user)
        return {"userId": end_user.public_id, "externalId": end_user.external_id,
                "previousPlan": previous_tier.slug if previous_tier is not None else None,
                "plan": entitlements.plan, "entitlementVersion": entitlements.version,
                "features": entitlements.features}

    developer_event_emit(project_id=end_user.project_id, mode=end_user.mode, type=PLAN_CHANGED, data=data)
