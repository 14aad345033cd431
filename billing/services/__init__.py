"""Billing writes, by subdomain: tiers, Stripe Connect, checkout and portal, subscriptions,
plan changes and Stripe events, the platform plan. Import from here."""

from .checkout import checkout_start, portal_start
from .connect import stripe_connect_finish, stripe_connect_start, stripe_disconnect
from .events import stripe_event_handler, stripe_event_process, stripe_event_receive, stripe_event_replay
from .plans import PlanChange, plan_change
from .promote import promote_plan, promote_to_live
from .subscriptions import subscription_apply, subscriptions_reconcile
from .tiers import (
    active_connection,
    tier_create,
    tier_create_defaults,
    tier_delete,
    tier_set_default,
    tier_sync_to_stripe,
    tier_update,
)

__all__ = [
    "PlanChange",
    "active_connection",
    "checkout_start",
    "plan_change",
    "portal_start",
    "promote_plan",
    "promote_to_live",
    "stripe_connect_finish",
    "stripe_connect_start",
    "stripe_disconnect",
    "stripe_event_handler",
    "stripe_event_process",
    "stripe_event_receive",
    "stripe_event_replay",
    "subscription_apply",
    "subscriptions_reconcile",
    "tier_create",
    "tier_create_defaults",
    "tier_delete",
    "tier_set_default",
    "tier_sync_to_stripe",
    "tier_update",
]
