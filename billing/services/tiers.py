"""Writes for tiers. A paid tier of a project with a connected Stripe account has a Stripe
Product and a Price on that account; Stripe is called inside the transaction that saves the
tier, so a Stripe failure leaves nothing half-saved."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dreamapi.errors import ApiError, Conflict
from tenants.audit import SYSTEM, Actor, audit_changes, audit_record
from tenants.models import Project
from tenants.services import end_user_changed

from .. import stripe_api
from ..models import StripeConnection, Tier, TierPrice
from ..money import chargeable_problem
from ..selectors import active_connection
from .portal import portal_configuration_sync

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


_TIER_FIELDS = ("slug", "name", "price_cents", "currency", "interval", "monthly_limit", "features", "popular", "order",
                "trial_days", "trial_requires_card")


def _validate_tier(tier: Tier) -> None:
    if not isinstance(tier.features, list) or not all(isinstance(f, str) for f in tier.features):
        raise ApiError("features must be a list of strings.", code="invalid_features")
    tier.currency = (tier.currency or "").lower()
    if len(tier.currency) != 3 or not tier.currency.isalpha():
        raise ApiError("currency must be a 3-letter ISO code such as 'usd'.", code="invalid_currency")
    if tier.price_cents:
        problem = chargeable_problem(amount=tier.price_cents, currency=tier.currency)
        if problem:
            raise ApiError(f"price_cents: {problem}", code="invalid_price")
    elif tier.trial_days:
        raise ApiError("trial_days: a free tier has nothing to try; trials are for paid tiers.", code="invalid_trial")
    try:
        tier.full_clean(exclude=["project"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        raise ApiError(message, code="invalid_tier") from exc


def tier_sync_to_stripe(*, tier: Tier, connection: StripeConnection | None = None, sync_portal: bool = True) -> Tier:
    """Give a paid tier a Product and a current Price on the connected account, then bring the
    account's portal configuration up to date (it lists the tiers' prices).

    A changed price creates a new Price (Stripe prices are immutable) and archives the old one;
    a tier made free archives its price. Idempotency keys hash everything a request depends on,
    including the tier's id (never reused) and its count of prices (never decreases): a retry of
    the same save reuses what Stripe already created, while a re-created tier with an old slug,
    or a retry with other values, is a new request and never replays an archived price.
    Projects without a connected account are left alone. ``sync_portal=False`` leaves the
    portal configuration to the caller (who syncs many tiers, then the configuration once).
    """
    connection = connection or active_connection(project_id=tier.project_id, mode=tier.mode)
    if connection is None:
        return tier
    account, mode = connection.account_id, tier.mode
    current = tier.prices.filter(stripe_price_id=tier.stripe_price_id).first() if tier.stripe_price_id else None
    if tier.is_free:
        if current is None:
            return tier
        stripe_api.price_archive(mode=mode, account=account, price=current.stripe_price_id)
        TierPrice.objects.filter(pk=current.pk).update(active=False)
        tier.stripe_price_id = ""
        tier.save()
        if sync_portal:
            portal_configuration_sync(connection=connection)
        return tier
    metadata = {"dreamapi_project": tier.project.public_id, "dreamapi_tier": tier.slug}
    if not tier.stripe_product_id:
        tier.stripe_product_id = stripe_api.product_create(
            mode=mode, account=account, name=tier.name, metadata=metadata,
            idempotency_key=stripe_api.idempotency_key("tier-product", account, mode, tier.pk, tier.name, metadata),
        )
    else:
        stripe_api.product_update(mode=mode, account=account, product=tier.stripe_product_id, name=tier.name)
    wanted = (tier.price_cents, tier.currency, tier.interval)
    if current is None or (current.amount_cents, current.currency, current.interval) != wanted:
        version = tier.prices.count()  # the tier is always saved before it is synced
        price_id = stripe_api.price_create(
            mode=mode, account=account, product=tier.stripe_product_id, amount_cents=tier.price_cents,
            currency=tier.currency, interval=tier.interval, metadata=metadata,
            idempotency_key=stripe_api.idempotency_key("tier-price", account, mode, tier.pk, version,
                                                       tier.stripe_product_id, *wanted, metadata),
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
    if sync_portal:
        portal_configuration_sync(connection=connection)
    return tier


def _tier_values(tier: Tier) -> dict[str, Any]:
    return {name: getattr(tier, name) for name in _TIER_FIELDS}


def tier_create(*, project: Project, mode: str, actor: Actor = SYSTEM, **fields: Any) -> Tier:
    tier = Tier(project=project, mode=mode, **{k: v for k, v in fields.items() if k in _TIER_FIELDS})
    _validate_tier(tier)
    try:
        with transaction.atomic():
            tier.save()
            tier_sync_to_stripe(tier=tier)
            audit_record(project=project, actor=actor, action="tier.create", target=tier.slug, mode=mode,
                         changes=audit_changes({}, _tier_values(tier)))
    except IntegrityError as exc:
        raise Conflict(f"A tier '{tier.slug}' already exists in {mode} mode.", code="tier_exists") from exc
    return tier


def tier_update(*, tier: Tier, actor: Actor = SYSTEM, **fields: Any) -> Tier:
    with transaction.atomic():
        tier = Tier.objects.select_for_update().select_related("project").get(pk=tier.pk)
        before = _tier_values(tier)
        for name, value in fields.items():
            if name in _TIER_FIELDS and name != "slug":
                setattr(tier, name, value)
        _validate_tier(tier)
        tier.save()
        tier_sync_to_stripe(tier=tier)
        changes = audit_changes(before, _tier_values(tier))
        if changes:
            audit_record(project=tier.project, actor=actor, action="tier.update", target=tier.slug, mode=tier.mode,
                         changes=changes)
    return tier


def tier_set_default(*, tier: Tier, actor: Actor = SYSTEM) -> Tier:
    with transaction.atomic():
        previous = list(Tier.objects.filter(project_id=tier.project_id, mode=tier.mode, is_default=True)
                        .exclude(pk=tier.pk).values_list("slug", flat=True))
        Tier.objects.filter(project_id=tier.project_id, mode=tier.mode, is_default=True).exclude(pk=tier.pk).update(
            is_default=False
        )
        tier.is_default = True
        tier.save(update_fields=["is_default"])
        audit_record(project=tier.project, actor=actor, action="tier.default", target=tier.slug, mode=tier.mode,
                     changes={"default": [previous[0] if previous else None, tier.slug]})
    return tier


def tier_delete(*, tier: Tier, move_users_to: Tier | None = None, actor: Actor = SYSTEM) -> None:
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
        audit_record(project=tier.project, actor=actor, action="tier.delete", target=tier.slug, mode=tier.mode,
                     changes={"end users moved to": [None, move_users_to.slug]} if in_use and move_users_to else {})
        tier.delete()
    connection = active_connection(project_id=tier.project_id, mode=tier.mode)
    if connection is not None and tier.stripe_price_id:
        # Existing subscribers keep their subscription; nobody new can buy the price or switch to it.
        portal_configuration_sync(connection=connection)
        stripe_api.price_archive(mode=tier.mode, account=connection.account_id, price=tier.stripe_price_id)
