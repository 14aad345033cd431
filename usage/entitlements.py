"""What a tier grants (reads): its features, and an end user's entitlements.

A tier's entitlements are its default meter ``api_calls`` (the tier's ``monthly_limit``) and
its ``TierFeature`` rows. They travel as one compact map, the same in ``GET /api/tiers``
(``entitlements``) and in the end-user token (``features``)::

    {"api_calls": 10000, "exports": 50, "storage": "unlimited", "sso": true}

a metered feature as its limit per usage period (or ``"unlimited"``), a boolean one as
true/false. A feature some tier of the project has and the end user's tier lacks is not
included: a metered one allows 0, a boolean one is false.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from dreamapi.errors import ApiError, NotFound
from tenants.models import EndUser

from .models import DEFAULT_METER, FEATURE_KEY_PATTERN, EntitlementVersion, TierFeature

UNLIMITED = "unlimited"
ENTITLEMENTS_SCHEMA = {
    "type": "object",
    "additionalProperties": {"oneOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "enum": [UNLIMITED]},
        {"type": "boolean"},
    ]},
    "description": (
        "What the plan grants, by feature key: a metered feature's limit per usage period (or \"unlimited\"), an "
        "on/off feature's true/false. `api_calls` is the default meter (the calls POST /api/data counts without a "
        "feature). The same map as the `features` claim of the end-user token."),
    "example": {"api_calls": 10000, "exports": 50, "storage": UNLIMITED, "sso": True},
}
METERED, BOOLEAN = TierFeature.Kind.METERED.value, TierFeature.Kind.BOOLEAN.value
_FEATURE_KEY_RE = re.compile(FEATURE_KEY_PATTERN)


@dataclass(frozen=True)
class Feature:
    """One feature as one tier has it. ``limit``: metered only, None unlimited, 0 not included."""

    key: str
    kind: str
    limit: int | None = None
    enabled: bool = False

    @property
    def value(self) -> int | str | bool:
        """Its value in the entitlements map."""
        if self.kind == BOOLEAN:
            return self.enabled
        return UNLIMITED if self.limit is None else self.limit


@dataclass(frozen=True)
class Entitlements:
    plan: str
    version: int
    features: dict[str, int | str | bool]

    def claims(self) -> dict:
        return {"plan": self.plan, "features": self.features, "ent_ver": self.version}


def default_meter(limit: int | None) -> Feature:
    return Feature(key=DEFAULT_METER, kind=METERED, limit=limit)


def _feature(row: TierFeature) -> Feature:
    return Feature(key=row.key, kind=row.kind, limit=row.period_limit, enabled=row.enabled)


def tier_features(*, tier, rows: Iterable[TierFeature] | None = None) -> dict[str, Feature]:
    """The tier's features, the default meter first. ``rows``: the tier's ``TierFeature`` rows
    when already fetched (e.g. prefetched for a list)."""
    rows = tier.tier_features.all() if rows is None else rows
    return {DEFAULT_METER: default_meter(tier.monthly_limit), **{row.key: _feature(row) for row in rows}}


def entitlements_map(features: dict[str, Feature]) -> dict[str, int | str | bool]:
    return {key: feature.value for key, feature in features.items()}


def check_feature_key(key: object, *, field: str = "feature") -> str:
    if not isinstance(key, str) or not _FEATURE_KEY_RE.match(key):
        message = "A feature is 1–40 lowercase letters, digits, '_' or '-', starting with a letter."
        raise ApiError(message, code="invalid_feature", extra={"fields": {field: [message]}})
    return key


def unknown_feature(key: str, *, mode: str) -> NotFound:
    return NotFound(f"No tier of this project has a feature '{key}' in {mode} mode.", code="unknown_feature")


def feature_not_metered(key: str) -> ApiError:
    message = (f"'{key}' is an on/off feature: it cannot be counted. Ask GET /api/check?feature={key} "
               "whether the end user has it.")
    return ApiError(message, code="feature_not_metered", extra={"fields": {"feature": [message]}})


def feature_resolve(*, tier, key: str) -> Feature:
    """The feature ``key`` as ``tier`` has it (one query; none for the default meter).

    A feature of another tier of the project and mode only: not included. A key no tier has:
    404 ``unknown_feature``.
    """
    if key == DEFAULT_METER:
        return default_meter(tier.monthly_limit)
    rows = list(TierFeature.objects.filter(tier__project_id=tier.project_id, tier__mode=tier.mode, key=key))
    own = next((row for row in rows if row.tier_id == tier.id), None)
    if own is not None:
        return _feature(own)
    if not rows:
        raise unknown_feature(key, mode=tier.mode)
    return Feature(key=key, kind=rows[0].kind, limit=0, enabled=False)


def project_meters(*, tier) -> dict[str, Feature] | None:
    """Every metered feature of the project and mode as ``tier`` has it (the default meter
    first; others' features not included allow 0), or None when the project defines no
    feature besides the default meter (one query)."""
    rows = list(TierFeature.objects.filter(tier__project_id=tier.project_id, tier__mode=tier.mode))
    if not rows:
        return None
    meters = {DEFAULT_METER: default_meter(tier.monthly_limit)}
    for row in sorted(rows, key=lambda r: (r.key, r.tier_id != tier.id)):
        if row.kind == METERED and row.key not in meters:
            meters[row.key] = _feature(row) if row.tier_id == tier.id else Feature(key=row.key, kind=METERED, limit=0)
    return meters


def entitlement_version(*, end_user_id: int) -> int:
    return EntitlementVersion.objects.filter(end_user_id=end_user_id).values_list("version", flat=True).first() or 1


def end_user_entitlements(*, end_user: EndUser) -> Entitlements:
    """The end user's plan, features and entitlement version (two queries)."""
    return Entitlements(plan=end_user.tier.slug, version=entitlement_version(end_user_id=end_user.id),
                        features=entitlements_map(tier_features(tier=end_user.tier)))
