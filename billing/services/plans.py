"""Changing an end user's paid plan, with the rules end users expect (``POST /api/change-plan``).

- **An upgrade takes effect at once**, and the prorated difference for the rest of the period is
  invoiced and charged at once (``proration_behavior=always_invoice``, with
  ``payment_behavior=error_if_incomplete`` so a declined card leaves the plan as it was). The
  billing period stays, so the usage already counted carries on under the higher limit.
- **A downgrade waits for the end of the period**, when the end user has had what they paid for.
  Stripe's recommended way for the pinned API version is a subscription schedule: phase one is the
  current price until the period's end, phase two the new price for one interval, then the schedule
  releases the subscription, which renews on the new price by itself. (``cancel_at_period_end`` plus
  a new subscription would need a second checkout and a card again, and leave a gap between the two.)
  The customer portal follows the same rule (``schedule_at_period_end``, which Stripe also carries
  out with a schedule), so both paths agree.
- **Changing to the default free tier cancels at the period's end** (``cancel_at_period_end``); the
  end user falls back to it when the period is over.
- **Asking for the current plan again cancels a pending change** (the schedule is released, the
  cancellation withdrawn). Asking for the plan already pending, or for the plan one is on with
  nothing pending, changes nothing.

Which change is a downgrade is decided as the portal's ``schedule_at_period_end`` conditions do:
a lower price per interval (``decreasing_item_amount``) or a shorter interval
(``shortening_interval``). During a trial every change applies at once: nothing has been paid yet
and the trial goes on.

Stripe is called under the end user's row lock, so two changes for one end user run one after
the other; the subscription is then re-read from Stripe and applied like a webhook would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from dreamapi.errors import Conflict, NotFound
from tenants.audit import SYSTEM, Actor, audit_record
from tenants.models import AuditEvent, EndUser

from .. import stripe_api
from ..models import Subscription, Tier, TierPrice
from .subscriptions import subscription_apply
from .tiers import active_connection

INTERVAL_DAYS = {"month": 30, "year": 365}


@dataclass(frozen=True)
class PlanChange:
    """What a plan change did. ``changed``: ``now`` (the end user is on ``tier`` from now),
    ``at_period_end`` (``pending`` takes over at ``effective_at``), ``unscheduled`` (a pending change
    was withdrawn) or ``none`` (nothing to do)."""

    changed: str
    previous: Tier
    tier: Tier
    pending: Tier | None
    effective_at: datetime
    subscription: Subscription | None
    amount_charged: int = 0  # the prorated difference charged now for an upgrade, in the tier's currency
    invoice_id: str | None = None


def _is_downgrade(*, amount: int, interval: str, new_amount: int, new_interval: str) -> bool:
    return new_amount < amount or INTERVAL_DAYS.get(new_interval, 30) < INTERVAL_DAYS.get(interval, 30)


def _current_price(subscription: Subscription) -> tuple[int, str]:
    """(amount, interval) of the price the subscription pays now (an archived price of the tier counts)."""
    price = TierPrice.objects.filter(stripe_price_id=subscription.stripe_price_id).first()
    if price is not None:
        return price.amount_cents, price.interval
    assert subscription.tier is not None
    return subscription.tier.price_cents, subscription.tier.interval


def _item(stripe_sub: dict[str, Any]) -> dict[str, Any]:
    return stripe_sub["items"]["data"][0]


def _changes_so_far(end_user: EndUser) -> int:
    """How many plan changes the audit log has for the end user: part of the Stripe idempotency keys,
    so a retry of a change whose transaction rolled back replays Stripe's answer (no second charge),
    while the same change asked again later (basic → pro → basic → pro in a trial) is a new request."""
    return AuditEvent.objects.filter(project_id=end_user.project_id, target=end_user.public_id,
                                     action="end_user.plan_change").count()


def plan_change(*, end_user: EndUser, tier_slug: str, actor: Actor = SYSTEM,
                idempotency_key: str | None = None) -> PlanChange:
    """Move ``end_user``'s subscription to the tier ``tier_slug`` by the rules above."""
    target = Tier.objects.filter(project_id=end_user.project_id, mode=end_user.mode, slug=tier_slug).first()
    if target is None:
        raise NotFound(f"No tier '{tier_slug}' in this project and mode.", code="unknown_tier")
    with transaction.atomic():
        end_user = EndUser.objects.select_for_update().select_related("tier", "project").get(pk=end_user.pk)
        previous = end_user.tier
        subscription = (Subscription.objects.filter(end_user=end_user, status__in=Subscription.ACTIVE_STATUSES,
                                                    tier__isnull=False)
                        .select_related("tier", "scheduled_tier").order_by("-created_at").first())
        if subscription is None:
            if target.pk == previous.pk:
                return PlanChange("none", previous, previous, None, timezone.now(), None)
            if target.is_free:
                raise Conflict("The end user has no subscription to change; a free tier other than their own is "
                               "given through the dashboard or PATCH /api/customers/{id}.", code="no_subscription")
            raise Conflict(f"The end user has no subscription yet: start one on '{target.slug}' with "
                           "POST /api/create-checkout.", code="checkout_required")
        result = _change(end_user=end_user, subscription=subscription, target=target, previous=previous,
                         idempotency_key=idempotency_key)
        if result.changed != "none":
            audit_record(project=end_user.project, actor=actor, mode=end_user.mode, target=end_user.public_id,
                         action="end_user.plan_change",
                         changes={"plan": [previous.slug, result.tier.slug],
                                  "pending": [subscription.scheduled_tier.slug if subscription.scheduled_tier
                                              else None, result.pending.slug if result.pending else None],
                                  "changed": result.changed})
    return result


def _change(*, end_user: EndUser, subscription: Subscription, target: Tier, previous: Tier,
            idempotency_key: str | None) -> PlanChange:
    current = subscription.tier
    assert current is not None
    pending = subscription.scheduled_tier if (subscription.stripe_schedule_id or subscription.cancel_at_period_end) \
        else None
    now = timezone.now()
    if target.pk == current.pk and pending is None:
        return PlanChange("none", previous, end_user.tier, None, now, subscription)
    if pending is not None and target.pk == pending.pk:
        return PlanChange("at_period_end", previous, end_user.tier, pending,
                          subscription.scheduled_change_at or now, subscription)
    if target.is_free and not target.is_default:
        raise Conflict(f"'{target.slug}' is free but not the default tier: a cancelled subscription returns to the "
                       "default tier. Give this tier through the dashboard or PATCH /api/customers/{id}.",
                       code="free_tier_not_default")
    connection = active_connection(project_id=end_user.project_id, mode=end_user.mode)
    if connection is None or connection.account_id != subscription.account_id:
        raise Conflict(f"The Stripe account of this end user's subscription is not connected in {end_user.mode} "
                       "mode any more; reconnect it in the dashboard.", code="stripe_not_connected")
    mode, account, sub_id = end_user.mode, connection.account_id, subscription.stripe_subscription_id
    stripe_sub = stripe_api.subscription_retrieve(mode=mode, account=account, subscription=sub_id)

    def withdraw_pending() -> None:
        if stripe_sub.get("schedule"):
            schedule = stripe_sub["schedule"]
            stripe_api.subscription_schedule_release(mode=mode, account=account,
                                                     schedule=stripe_api.expandable_id(schedule))
        if stripe_sub.get("cancel_at_period_end"):
            stripe_api.subscription_set_cancel_at_period_end(mode=mode, account=account, subscription=sub_id,
                                                             cancel=False)

    def applied(changed: str, **extra: Any) -> PlanChange:
        fresh = subscription_apply(connection=connection, stripe_subscription_id=sub_id)
        end_user.refresh_from_db(fields=["tier", "billing_period_start", "billing_period_end"])
        scheduled = fresh.scheduled_tier if fresh is not None else None
        at = fresh.scheduled_change_at if fresh is not None and changed == "at_period_end" else None
        return PlanChange(changed, previous, end_user.tier, scheduled, at or timezone.now(), fresh, **extra)

    if target.pk == current.pk:  # back to the plan they are on: drop what was pending
        withdraw_pending()
        return applied("unscheduled")
    if target.is_free:  # the default tier: the subscription ends with the period
        if stripe_sub.get("schedule"):
            withdraw_pending()
        stripe_api.subscription_set_cancel_at_period_end(mode=mode, account=account, subscription=sub_id, cancel=True)
        return applied("at_period_end")
    if not target.stripe_price_id:
        raise Conflict(f"Tier '{target.slug}' has no Stripe price yet; save it in the dashboard to create one.",
                       code="tier_not_in_stripe")
    if target.currency != (stripe_sub.get("currency") or target.currency):
        raise Conflict(f"Tier '{target.slug}' is priced in {target.currency.upper()} but the subscription is in "
                       f"{str(stripe_sub.get('currency')).upper()}; Stripe cannot switch currencies.",
                       code="currency_mismatch")
    amount, interval = _current_price(subscription)
    trialing = stripe_sub.get("status") == "trialing"
    downgrade = _is_downgrade(amount=amount, interval=interval, new_amount=target.price_cents,
                              new_interval=target.interval)
    item = _item(stripe_sub)
    if downgrade and not trialing:
        if stripe_sub.get("cancel_at_period_end"):
            stripe_api.subscription_set_cancel_at_period_end(mode=mode, account=account, subscription=sub_id,
                                                             cancel=False)
        schedule = stripe_sub.get("schedule")
        stripe_api.subscription_schedule_downgrade(
            mode=mode, account=account, subscription=sub_id, current_price=item["price"]["id"],
            new_price=target.stripe_price_id, new_interval=target.interval, quantity=item.get("quantity") or 1,
            period_start=item["current_period_start"], period_end=item["current_period_end"],
            schedule=stripe_api.expandable_id(schedule) or None,
            idempotency_key=stripe_api.idempotency_key("plan-schedule", sub_id, item["current_period_start"],
                                                       target.stripe_price_id, _changes_so_far(end_user),
                                                       idempotency_key),
        )
        return applied("at_period_end")
    if stripe_sub.get("status") == "past_due":
        raise Conflict("The end user's last payment failed: the open invoice must be paid (customer portal) before "
                       "an upgrade.", code="subscription_past_due")
    withdraw_pending()
    latest_before = stripe_sub.get("latest_invoice")
    updated = stripe_api.subscription_change_price(
        mode=mode, account=account, subscription=sub_id, item=item["id"], price=target.stripe_price_id,
        proration_behavior="none" if trialing else "always_invoice",
        idempotency_key=stripe_api.idempotency_key("plan-change", sub_id, item["id"], item["price"]["id"],
                                                   target.stripe_price_id, item["current_period_start"],
                                                   _changes_so_far(end_user), idempotency_key),
    )
    invoice_id = updated.get("latest_invoice")
    if isinstance(invoice_id, dict):
        invoice_id = invoice_id.get("id")
    charged = 0
    if invoice_id and invoice_id != latest_before:
        charged = int(stripe_api.invoice_retrieve(mode=mode, account=account, invoice=str(invoice_id))
                      .get("amount_paid") or 0)
    else:
        invoice_id = None
    return applied("now", amount_charged=charged, invoice_id=invoice_id)
