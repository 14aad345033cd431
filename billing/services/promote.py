"""Promote test → live: copy the tier configuration of test mode into live mode."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from tenants.audit import SYSTEM, Actor
from tenants.models import Mode, Project

from ..models import Tier
from .tiers import active_connection, tier_create, tier_update

_COPIED = ("name", "price_cents", "currency", "interval", "monthly_limit", "features", "popular", "order")


@dataclass(frozen=True)
class TierChange:
    slug: str
    action: str  # "create", "update" or "unchanged"
    changes: dict  # field -> (live value, test value)
    needs_stripe_price: bool


def promote_plan(*, project: Project) -> list[TierChange]:
    """What ``promote_to_live`` would do, for the developer to confirm first."""
    live = {t.slug: t for t in Tier.objects.filter(project=project, mode=Mode.LIVE)}
    plan = []
    for tier in Tier.objects.filter(project=project, mode=Mode.TEST):
        target = live.get(tier.slug)
        if target is None:
            changes = {f: (None, getattr(tier, f)) for f in _COPIED}
            action = "create"
        else:
            changes = {f: (getattr(target, f), getattr(tier, f)) for f in _COPIED if getattr(target, f) != getattr(tier, f)}
            action = "update" if changes else "unchanged"
        price_changes = target is None or bool({"price_cents", "currency", "interval"} & set(changes))
        plan.append(TierChange(slug=tier.slug, action=action, changes=changes,
                               needs_stripe_price=tier.price_cents > 0 and price_changes))
    return plan


def promote_to_live(*, project: Project, actor: Actor = SYSTEM) -> list[TierChange]:
    """Apply the plan. Paid tiers get live Stripe objects when a live account is connected;
    a Stripe failure rolls the whole promotion back."""
    plan = promote_plan(project=project)
    test_tiers = {t.slug: t for t in Tier.objects.filter(project=project, mode=Mode.TEST)}
    with transaction.atomic():
        for change in plan:
            source = test_tiers[change.slug]
            fields = {f: getattr(source, f) for f in _COPIED}
            if change.action == "create":
                tier_create(project=project, mode=Mode.LIVE, slug=change.slug, actor=actor, **fields)
            elif change.action == "update":
                tier_update(tier=Tier.objects.get(project=project, mode=Mode.LIVE, slug=change.slug), actor=actor,
                            **fields)
    return plan


def live_stripe_connected(*, project: Project) -> bool:
    return active_connection(project_id=project.id, mode=Mode.LIVE) is not None
