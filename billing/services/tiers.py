"""Writes for tiers. A paid tier of a project with a connected Stripe account has a Stripe
Product and a Price on that account; Stripe is called inside the transaction that saves the
tier, so a Stripe failure leaves nothing half-saved."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dreamapi.errors import ApiError, Conflict
from tenants.models import Project
from tenants.services import end_user_changed

from .. import stripe_api
from ..models import StripeConnection, Tier, TierPrice
from ..selectors import active_connection

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


def tier_sync_to_stripe(*, tier: Tier, connection: StripeConnection | None = None) -> Tier:
    """Give a paid tier a Product and a current Price on the connected account.

    A changed price creates a new Price (Stripe prices are immutable) and archives the old
    one. Idempotency keys come from the project, mode, slug and the tier's price count, so a
    retry after a failure reuses what Stripe already created instead of making a second one.
    Free tiers and projects without a connected account are left alone.
    """
    connection = connection or active_connection(project_id=tier.project_id, mode=tier.mode)
    if connection is None or tier.is_free:
        return tier
    account, mode = connection.account_id, tier.mode
    ident = f"{tier.project_id}-{tier.mode}-{tier.slug}-{account}"
    metadata = {"dreamapi_project": tier.project.public_id, "dreamapi_tier": tier.slug}
    if not tier.stripe_product_id:
        tier.stripe_product_id = stripe_api.product_create(
            mode=mode, account=account, name=tier.name, metadata=metadata, idempotency_key=f"tier-product-{ident}"
        )
    else:
        stripe_api.product_update(mode=mode, account=account, product=tier.stripe_product_id, name=tier.name)
    current = tier.prices.filter(stripe_price_id=tier.stripe_price_id).first() if tier.stripe_price_id else None
    wanted = (tier.price_cents, tier.currency, tier.interval)
    if current is None or (current.amount_cents, current.currency, current.interval) != wanted:
        version = tier.prices.count()  # the tier is always saved before it is synced
        price_id = stripe_api.price_create(
            mode=mode, account=account, product=tier.stripe_product_id, amount_cents=tier.price_cents,
            currency=tier.currency, interval=tier.interval, metadata=metadata,
            idempotency_key=f"tier-price-{ident}-v{version}-{tier.price_cents}-{tier.currency}-{tier.interval}",
        )
        if current is not None:
            stripe_api.price_archive(mode=mode, account=account, price=current.stripe_price_id)
            TierPrice.objects.filter(pk=current.pk).update(active=False)
        tier.stripe_price_id = price_id
        tier.save()
        TierPrice.objects.create(tier=tier, stripe_price_id=price_id, amount_cents=tier.price_cents,
                                 currency=tier.currency, interval=tier.interval)
    else:
        tier.save()
    return tier


def tier_create(*, project: Project, mode: str, **fields: Any) -> Tier:
    tier = Tier(project=project, mode=mode, **{k: v for k, v in fields.items() if k in _TIER_FIELDS})
    _validate_tier(tier)
    try:
        with transaction.atomic():
            tier.save()
            tier_sync_to_stripe(tier=tier)
    except IntegrityError as exc:
        raise Conflict(f"A tier '{tier.slug}' already exists in {mode} mode.", code="tier_exists") from exc
    return tier


def tier_update(*, tier: Tier, **fields: Any) -> Tier:
    with transaction.atomic():
        tier = Tier.objects.select_for_update().select_related("project").get(pk=tier.pk)
        for name, value in fields.items():
            if name in _TIER_FIELDS and name != "slug":
                setattr(tier, name, value)
        _validate_tier(tier)
        tier.save()
        tier_sync_to_stripe(tier=tier)
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
            moved = list(tier.end_users.all())
            tier.end_users.update(tier=move_users_to)
            for end_user in moved:  # each: a new entitlement version, and plan.changed to the developer
                end_user.tier = move_users_to
                end_user_changed(event="plan_changed", end_user=end_user, previous_tier=tier)
        tier.delete()
    connection = active_connection(project_id=tier.project_id, mode=tier.mode)
    if connection is not None and tier.stripe_price_id:
        # Existing subscribers keep their subscription; nobody new can buy the price.
        stripe_api.price_archive(mode=tier.mode, account=connection.account_id, price=tier.stripe_price_id)
