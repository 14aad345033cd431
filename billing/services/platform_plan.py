"""The platform plan: what a developer pays dream-api (the seeds' "$15/mo API"), as the original had it.

It lives on the platform's own Stripe account and is kept in sync by dj-stripe (its webhook
endpoint, its Customer/Subscription/Price tables). Live API keys work while the plan is good:

- **a 14-day free trial** for a developer who has never had one, started from the dashboard's plan
  page through Checkout without a card (``payment_method_collection=if_required``); a card added in
  the billing portal before the end pays the first month, otherwise Stripe ends the subscription
  (``missing_payment_method=cancel``);
- **active**;
- **a grace period of 7 days** after a payment fails (past due, unpaid, paused: from when we first
  saw it) or after the plan ends (canceled, including a trial that ended without a card: from its
  end), so a developer's app keeps working while they fix their card; then live keys stop.

``PlatformPlan`` keeps that state per developer, and ``Platform.paid_plan_active`` (what the key
check reads, through the key cache) is derived from it by :func:`platform_plan_refresh`: whenever
dj-stripe processes a subscription event of the developer, when the plan page is opened, and by
the reconciliation task once a grace period has run out. A change clears this process's key cache;
other processes follow within ``API_KEY_CACHE_SECONDS``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from dreamapi.errors import ApiError, Conflict
from tenants import keycache
from tenants.models import Platform

from .. import stripe_api
from ..models import PlatformPlan

logger = logging.getLogger(__name__)

PLAN_LOOKUP_KEY = "dreamapi_platform_plan"
TRIAL_DAYS = 14
GRACE = timedelta(days=7)
GOOD_STATUSES = ("trialing", "active")
FAILED_STATUSES = ("past_due", "unpaid", "paused")  # a payment is owed: grace from when we first saw it
ENDED_STATUSES = ("canceled",)  # the plan ended: grace from its end
ONGOING_STATUSES = GOOD_STATUSES + FAILED_STATUSES
PORTAL_MARKER = "platform-plan"


def _stripe_mode() -> str:
    return "live" if settings.STRIPE_LIVE_MODE else "test"


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=dt_timezone.utc) if value else None


def platform_plan_price_id() -> str:
    """The plan's Price: ``PLATFORM_PLAN_PRICE_ID``, or the one ``platformplan_setup`` created."""
    if settings.PLATFORM_PLAN_PRICE_ID:
        return settings.PLATFORM_PLAN_PRICE_ID
    from djstripe.models import Price

    price = Price.objects.filter(lookup_key=PLAN_LOOKUP_KEY, active=True, livemode=settings.STRIPE_LIVE_MODE).first()
    if price is None:
        raise ApiError("The platform plan is not configured: set PLATFORM_PLAN_PRICE_ID or run "
                       "'manage.py platformplan_setup'.", code="platform_plan_not_configured", status_code=503)
    return price.id


def _subscription_data(user: AbstractBaseUser) -> dict[str, Any]:
    """Stripe's view of the developer's latest platform subscription, from dj-stripe's copy (dj-stripe
    2.11 keeps Stripe's fields in ``stripe_data``). Only the configured mode counts: in production
    (live mode) a subscription bought with a test card never opens live keys."""
    from djstripe.models import Subscription

    latest = (Subscription.objects.filter(customer__subscriber=user, livemode=settings.STRIPE_LIVE_MODE)
              .order_by("-created").first())
    return dict(latest.stripe_data or {}) if latest is not None else {}


def platform_plan_active(*, user: AbstractBaseUser) -> bool:
    """Has the developer a subscription that still runs (trialing, active, or with a payment owed)?"""
    return _subscription_data(user).get("status") in ONGOING_STATUSES


@dataclass(frozen=True)
class PlanView:
    """The plan as the dashboard shows it."""

    plan: PlatformPlan
    live_keys: bool
    trial_days_left: int | None
    can_start_trial: bool
    can_subscribe: bool
    has_billing_account: bool


def _live_keys(plan: PlatformPlan, now: datetime) -> bool:
    return plan.status in GOOD_STATUSES or (plan.grace_ends_at is not None and now < plan.grace_ends_at)


def platform_plan_refresh(*, user: AbstractBaseUser, now: datetime | None = None) -> bool:
    """Derive the developer's plan state and ``Platform.paid_plan_active`` from dj-stripe's copy of
    their subscription. Returns whether live keys work."""
    now = now or timezone.now()
    platform = Platform.objects.filter(owner=user).first()
    if platform is None:
        return False
    data = _subscription_data(user)
    status = data.get("status") or "none"
    items = (data.get("items") or {}).get("data") or []
    with transaction.atomic():
        plan, _ = PlatformPlan.objects.select_for_update().get_or_create(platform=platform)
        if status in FAILED_STATUSES:
            started = plan.grace_started_at if plan.status in FAILED_STATUSES and plan.grace_started_at else now
        elif status in ENDED_STATUSES:
            started = _ts(data.get("ended_at")) or plan.grace_started_at or now
        else:  # good, never subscribed, or a first checkout that was never paid (incomplete…): no grace
            started = None
        plan.status = status
        plan.stripe_subscription_id = str(data.get("id") or "")
        plan.trial_end = _ts(data.get("trial_end"))
        plan.current_period_end = _ts(items[0].get("current_period_end")) if items else None
        plan.cancel_at_period_end = bool(data.get("cancel_at_period_end"))
        plan.grace_started_at = started
        plan.grace_ends_at = started + GRACE if started else None
        plan.trial_used = plan.trial_used or bool(data.get("trial_start"))
        plan.save()
        active = _live_keys(plan, now)
        changed = Platform.objects.filter(pk=platform.pk).exclude(paid_plan_active=active).update(
            paid_plan_active=active)
    if changed:
        # This process stops (or starts) honouring live keys at once; others within the key cache's TTL.
        keycache.clear()
        logger.info("platform plan of user %s is now %s (%s)", user.pk, "active" if active else "inactive", status)
    return active


def platform_plan_refresh_for_customer(*, customer_id: str) -> None:
    from djstripe.models import Customer

    customer = Customer.objects.filter(id=customer_id).select_related("subscriber").first()
    if customer is not None and customer.subscriber is not None:
        platform_plan_refresh(user=customer.subscriber)


def platform_plans_expire(*, now: datetime | None = None) -> int:
    """Stop live keys whose grace period has run out (no Stripe event marks that moment). Returns
    how many developers lost them."""
    now = now or timezone.now()
    due = PlatformPlan.objects.filter(grace_ends_at__lte=now, platform__paid_plan_active=True).select_related(
        "platform__owner")
    return sum(not platform_plan_refresh(user=plan.platform.owner, now=now) for plan in due)


def platform_plan_view(*, platform: Platform, now: datetime | None = None) -> PlanView:
    """Refresh the developer's plan and describe it for the plan page."""
    from djstripe.models import Customer

    now = now or timezone.now()
    platform_plan_refresh(user=platform.owner, now=now)
    plan = PlatformPlan.objects.get(platform=platform)
    days_left = None
    if plan.status == "trialing" and plan.trial_end:
        days_left = max(0, -(-int((plan.trial_end - now).total_seconds()) // 86400))
    ongoing = plan.status in ONGOING_STATUSES
    return PlanView(
        plan=plan, live_keys=_live_keys(plan, now), trial_days_left=days_left,
        can_start_trial=not ongoing and not plan.trial_used, can_subscribe=not ongoing,
        has_billing_account=Customer.objects.filter(subscriber=platform.owner,
                                                    livemode=settings.STRIPE_LIVE_MODE).exists(),
    )


def platform_plan_checkout(*, platform: Platform, success_url: str, cancel_url: str, trial: bool = False) -> str:
    """A Checkout URL (platform account) for the developer to subscribe, or, with ``trial``, to start
    the 14-day trial without a card (once per developer). Returns the URL."""
    from djstripe.models import Customer

    if platform_plan_active(user=platform.owner):
        raise Conflict("You already have a plan; manage it (card, invoices, cancellation) from the billing portal.",
                       code="plan_active")
    plan, _ = PlatformPlan.objects.get_or_create(platform=platform)
    if trial and plan.trial_used:
        raise Conflict("Your free trial has been used; subscribe to keep your live keys.", code="trial_used")
    price_id = platform_plan_price_id()
    customer, _ = Customer.get_or_create(subscriber=platform.owner, livemode=settings.STRIPE_LIVE_MODE)
    _, url = stripe_api.checkout_session_create(
        mode=_stripe_mode(),
        account=None,
        checkout_mode="subscription",
        line_items=[(price_id, 1)],
        success_url=success_url,
        cancel_url=cancel_url,
        customer=customer.id,
        client_reference_id=platform.public_id,
        metadata={"dreamapi_platform": platform.public_id},
        idempotency_key=None,
        trial_days=TRIAL_DAYS if trial else 0,
        trial_requires_card=False,
    )
    return url


def platform_plan_portal(*, platform: Platform, return_url: str) -> str:
    """The developer's own Stripe billing portal (invoices, card, cancellation) on the platform
    account. Returns its URL."""
    from djstripe.models import Customer

    customer = Customer.objects.filter(subscriber=platform.owner, livemode=settings.STRIPE_LIVE_MODE).first()
    if customer is None:
        raise Conflict("You have no billing account yet: start a trial or subscribe first.",
                       code="no_billing_account")
    return stripe_api.billing_portal_session_create(
        mode=_stripe_mode(), account=None, customer=customer.id, return_url=return_url,
        configuration=stripe_api.platform_portal_configuration(marker=PORTAL_MARKER),
    )
