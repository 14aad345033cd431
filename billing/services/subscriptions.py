"""Keeping our copy of end users' subscriptions, and their plans, in step with Stripe.

Every change is applied the same way, whatever triggered it (a webhook, the reconciliation
task, an operator): lock the end user's row, re-read the subscription from Stripe, write
what Stripe says now. Because the state comes from Stripe and not from the event, a
duplicate or out-of-order event cannot leave a stale state behind, and the row lock
serialises concurrent updates of one end user.
"""

from __future__ import annotations

import logging
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from django.db import transaction
from django.utils import timezone

from tenants.models import EndUser
from tenants.services import end_user_changed
from usage.periods import billing_or_month_period
from usage.services import usage_carry_over

from .. import stripe_api
from ..models import BillingCustomer, StripeConnection, Subscription, Tier, TierPrice
from .developer_events import subscription_past_due_announce

logger = logging.getLogger(__name__)


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=dt_timezone.utc) if value else None


def _period(stripe_sub: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    # Since API version 2025-03-31 the period lives on the subscription items (and only there).
    items = (stripe_sub.get("items") or {}).get("data") or []
    if not items:
        return None, None
    return _ts(items[0].get("current_period_start")), _ts(items[0].get("current_period_end"))


def _price_id(stripe_sub: dict[str, Any]) -> str:
    items = (stripe_sub.get("items") or {}).get("data") or []
    if not items:
        return ""
    return stripe_api.expandable_id(items[0].get("price"))


def _customer_id(stripe_sub: dict[str, Any]) -> str:
    return stripe_api.expandable_id(stripe_sub.get("customer"))


def _scheduled_change(*, connection: StripeConnection, stripe_sub: dict[str, Any],
                      period_end: datetime | None) -> tuple[str, Tier | None, datetime | None]:
    """(schedule id, tier, when) of the change waiting for the period's end: the project's default
    tier when the subscription cancels at period end, else the price of its schedule's next phase."""
    schedule_id = stripe_api.expandable_id(stripe_sub.get("schedule"))
    if stripe_sub.get("cancel_at_period_end"):
        default = Tier.objects.filter(project_id=connection.project_id, mode=connection.mode, is_default=True).first()
        return schedule_id, default, _ts(stripe_sub.get("cancel_at")) or period_end
    if not schedule_id or period_end is None:
        return schedule_id, None, None
    schedule = stripe_api.subscription_schedule_retrieve(mode=connection.mode, account=connection.account_id,
                                                         schedule=schedule_id)
    if schedule.get("status") not in ("active", "not_started"):
        return "", None, None
    upcoming = [phase for phase in schedule.get("phases") or [] if phase["start_date"] >= period_end.timestamp()]
    if not upcoming or not upcoming[0].get("items"):
        return schedule_id, None, None
    phase = upcoming[0]
    tier = _tier_for_price(connection=connection, price_id=stripe_api.expandable_id(phase["items"][0]["price"]))
    return schedule_id, tier, _ts(phase["start_date"])


def _end_user_for(*, connection: StripeConnection, stripe_sub: dict[str, Any]) -> EndUser | None:
    ref = (stripe_sub.get("metadata") or {}).get("dreamapi_end_user")
    users = EndUser.objects.filter(project_id=connection.project_id, mode=connection.mode)
    if ref:
        end_user = users.filter(public_id=ref).first()
        if end_user is not None:
            return end_user
    mapping = BillingCustomer.objects.filter(account_id=connection.account_id,
                                             stripe_customer_id=_customer_id(stripe_sub),
                                             end_user__in=users).select_related("end_user").first()
    return mapping.end_user if mapping else None


def _tier_for_price(*, connection: StripeConnection, price_id: str) -> Tier | None:
    tiers = Tier.objects.filter(project_id=connection.project_id, mode=connection.mode)
    return (
        tiers.filter(stripe_price_id=price_id).first()
        or tiers.filter(pk__in=TierPrice.objects.filter(stripe_price_id=price_id).values("tier_id")).first()
    )


def _effective(subscription: Subscription, now: datetime) -> bool:
    """Does this subscription decide the plan now? Active, and not past a period end it cancels at."""
    if not subscription.is_active or subscription.tier_id is None:
        return False
    if subscription.cancel_at_period_end and subscription.current_period_end and subscription.current_period_end <= now:
        return False
    return True


def end_user_plan_refresh(*, end_user: EndUser, now: datetime | None = None) -> EndUser:
    """Set the end user's tier and usage period from their subscriptions (caller holds the row lock)."""
    now = now or timezone.now()
    current = next((s for s in end_user.subscriptions.select_related("tier").order_by("-created_at")
                    if _effective(s, now)), None)
    if current is not None:
        tier, start, end = current.tier, current.current_period_start, current.current_period_end
    else:
        tier = Tier.objects.filter(project_id=end_user.project_id, mode=end_user.mode, is_default=True).first()
        start = end = None
    if tier is None:
        return end_user
    old_period = billing_or_month_period(now, end_user.billing_period_start, end_user.billing_period_end)
    new_period = billing_or_month_period(now, start, end)
    if new_period[0] != old_period[0] and old_period[0] <= now < old_period[1]:
        usage_carry_over(end_user_id=end_user.id, count_from=old_period[0], to_start=new_period[0],
                         to_end=new_period[1])
    if (end_user.tier_id, end_user.billing_period_start, end_user.billing_period_end) != (tier.id, start, end):
        previous_tier = end_user.tier
        end_user.tier = tier
        end_user.billing_period_start, end_user.billing_period_end = start, end
        end_user.save(update_fields=["tier", "billing_period_start", "billing_period_end", "updated_at"])
        if previous_tier.id != tier.id:  # a new entitlement version, and plan.changed to the developer
            end_user_changed(event="plan_changed", end_user=end_user, previous_tier=previous_tier)
    subscription_past_due_announce(end_user=end_user, subscription=current)
    return end_user


def subscription_apply(*, connection: StripeConnection, stripe_subscription_id: str) -> Subscription | None:
    """Re-read one subscription from Stripe and apply it. Returns None when it is not ours
    (no end user of this project can be found for it)."""
    mode, account = connection.mode, connection.account_id
    first_read = stripe_api.subscription_retrieve(mode=mode, account=account, subscription=stripe_subscription_id)
    end_user = _end_user_for(connection=connection, stripe_sub=first_read)
    if end_user is None:
        logger.info("subscription %s on %s belongs to no end user of project %s", stripe_subscription_id,
                    account, connection.project_id)
        return None
    with transaction.atomic():
        end_user = EndUser.objects.select_for_update().get(pk=end_user.pk)
        # Read again under the lock: whatever happened meanwhile, we write Stripe's latest state.
        stripe_sub = stripe_api.subscription_retrieve(mode=mode, account=account, subscription=stripe_subscription_id)
        start, end = _period(stripe_sub)
        price_id = _price_id(stripe_sub)
        customer_id = _customer_id(stripe_sub)
        status = stripe_sub.get("status") or ""
        schedule_id, scheduled_tier, scheduled_at = _scheduled_change(connection=connection, stripe_sub=stripe_sub,
                                                                      period_end=end)
        subscription, _ = Subscription.objects.update_or_create(
            stripe_subscription_id=stripe_subscription_id,
            defaults={
                "end_user": end_user,
                "account_id": account,
                "stripe_customer_id": customer_id,
                "stripe_price_id": price_id,
                "tier": _tier_for_price(connection=connection, price_id=price_id),
                "status": status,
                "current_period_start": start,
                "current_period_end": end,
                "cancel_at_period_end": bool(stripe_sub.get("cancel_at_period_end")),
                "canceled_at": _ts(stripe_sub.get("canceled_at")),
                "ended_at": _ts(stripe_sub.get("ended_at")),
                "trial_start": _ts(stripe_sub.get("trial_start")),
                "trial_end": _ts(stripe_sub.get("trial_end")),
                "stripe_schedule_id": schedule_id,
                "scheduled_tier": scheduled_tier,
                "scheduled_change_at": scheduled_at,
            },
        )
        if customer_id:
            BillingCustomer.objects.get_or_create(end_user=end_user, account_id=account,
                                                  defaults={"stripe_customer_id": customer_id})
        end_user_plan_refresh(end_user=end_user)
    return subscription


def _might_be_ours(*, connection: StripeConnection, stripe_sub: dict[str, Any], known: dict[str, Any],
                   our_customers: set[str]) -> bool:
    """Judged from the list item alone, without fetching anything: a subscription we know, one whose
    customer is one of our end users', or one whose metadata names an end user of this project.
    A connected account is the developer's whole business; the rest is none of ours."""
    if stripe_sub["id"] in known or _customer_id(stripe_sub) in our_customers:
        return True
    metadata = stripe_sub.get("metadata") or {}
    ref = metadata.get("dreamapi_end_user")
    if not ref or metadata.get("dreamapi_project", connection.project.public_id) != connection.project.public_id:
        return False
    return EndUser.objects.filter(project_id=connection.project_id, mode=connection.mode, public_id=ref).exists()


def subscriptions_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Repair what missed events left behind, for every connected account:

    - subscriptions of ours that Stripe has and we do not know, or know in another state, are
      applied (the account's other subscriptions are skipped from the list alone);
    - end users whose cancel-at-period-end subscription has run out go back to the default tier.
    """
    now = now or timezone.now()
    applied = expired = 0
    for connection in StripeConnection.objects.filter(disconnected_at__isnull=True).select_related("project"):
        known = {
            row[0]: row[1:]
            for row in Subscription.objects.filter(account_id=connection.account_id).values_list(
                "stripe_subscription_id", "status", "current_period_end", "cancel_at_period_end", "stripe_price_id"
            )
        }
        our_customers = set(BillingCustomer.objects.filter(account_id=connection.account_id).values_list(
            "stripe_customer_id", flat=True))
        try:
            remote = list(stripe_api.subscriptions_list(mode=connection.mode, account=connection.account_id))
        except stripe_api.StripeError as exc:
            logger.warning("reconcile: cannot list subscriptions of %s: %s", connection.account_id, exc)
            continue
        for stripe_sub in remote:
            if not _might_be_ours(connection=connection, stripe_sub=stripe_sub, known=known,
                                  our_customers=our_customers):
                continue
            seen = (stripe_sub.get("status"), _period(stripe_sub)[1], bool(stripe_sub.get("cancel_at_period_end")),
                    _price_id(stripe_sub))
            if known.get(stripe_sub["id"]) != seen:
                if subscription_apply(connection=connection, stripe_subscription_id=stripe_sub["id"]) is not None:
                    applied += 1
    # Period over on a subscription that cancels at period end: the paid plan ends now even
    # if Stripe's "deleted" event has not arrived (or never will).
    ended = Subscription.objects.filter(status__in=Subscription.ACTIVE_STATUSES, cancel_at_period_end=True,
                                        current_period_end__lte=now).values_list("end_user_id", flat=True)
    for end_user_id in set(ended):
        with transaction.atomic():
            end_user = EndUser.objects.select_for_update().get(pk=end_user_id)
            before = end_user.tier_id
            end_user_plan_refresh(end_user=end_user, now=now)
            expired += int(end_user.tier_id != before)
    return {"applied": applied, "expired": expired}
