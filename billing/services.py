"""Writes for tiers (and, with Stripe, subscriptions)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dreamapi.errors import ApiError, Conflict
from tenants.models import Project

from .models import Tier

DEFAULT_FREE_LIMIT = 100


def tier_create_defaults(*, project: Project, mode: str) -> Tier:
    """Every project starts with a free tier (limit 100) so the API works out of the box."""
    return Tier.objects.create(
        project=project,
        mode=mode,
        slug="free",
        name="Free",
        price_cents=0,
        monthly_limit=DEFAULT_FREE_LIMIT,
        features=["Basic access"],
        is_default=True,
    )


_TIER_FIELDS = ("slug", "name", "price_cents", "currency", "interval", "monthly_limit", "features", "popular", "order")


def _validate_tier(tier: Tier) -> None:
    if not isinstance(tier.features, list) or not all(isinstance(f, str) for f in tier.features):
        raise ApiError("features must be a list of strings.", code="invalid_features")
    tier.currency = (tier.currency or "").lower()
    if len(tier.currency) != 3 or not tier.currency.isalpha():
        raise ApiError("currency must be a 3-letter ISO code such as 'usd'.", code="invalid_currency")
    try:
        tier.full_clean(exclude=["project"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        raise ApiError(message, code="invalid_tier") from exc


def tier_create(*, project: Project, mode: str, **fields: Any) -> Tier:
    tier = Tier(project=project, mode=mode, **{k: v for k, v in fields.items() if k in _TIER_FIELDS})
    _validate_tier(tier)
    try:
        with transaction.atomic():
            tier.save()
    except IntegrityError as exc:
        raise Conflict(f"A tier '{tier.slug}' already exists in {mode} mode.", code="tier_exists") from exc
    return tier


def tier_update(*, tier: Tier, **fields: Any) -> Tier:
    for name, value in fields.items():
        if name in _TIER_FIELDS and name != "slug":
            setattr(tier, name, value)
    _validate_tier(tier)
    tier.save()
    return tier


def tier_set_default(*, tier: Tier) -> Tier:
    with transaction.atomic():
        Tier.objects.filter(project_id=tier.project_id, mode=tier.mode, is_default=True).exclude(pk=tier.pk).update(
            is_default=False
        )
        tier.is_default = True
        tier.save(update_fields=["is_default"])
    return tier


def tier_delete(*, tier: Tier, move_users_to: Tier | None = None) -> None:
    """Delete a tier; its end users must be moved to another tier of the same project and mode first."""
    if tier.is_default:
        raise Conflict("The default tier cannot be deleted; make another tier the default first.",
                       code="tier_is_default")
    with transaction.atomic():
        in_use = tier.end_users.exists()
        if in_use:
            if move_users_to is None:
                raise Conflict("This tier has end users; choose a tier to move them to.", code="tier_in_use")
            if move_users_to.project_id != tier.project_id or move_users_to.mode != tier.mode or move_users_to == tier:
                raise ApiError("Users can only be moved to another tier of the same project and mode.",
                               code="invalid_target_tier")
            tier.end_users.update(tier=move_users_to)
        tier.delete()
