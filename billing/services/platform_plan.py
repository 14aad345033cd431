"""The platform plan: what a developer pays dream-api (the seeds' "$15/mo API").

It lives on the platform's own Stripe account and is kept in sync by dj-stripe (its webhook
endpoint, its Customer/Subscription/Price tables). Live API keys work only while the
developer's subscription is active: ``Platform.paid_plan_active`` mirrors that, refreshed
whenever dj-stripe processes a subscription event for the developer.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser

from dreamapi.errors import ApiError, Conflict
from tenants import keycache
from tenants.models import Platform

from .. import stripe_api

logger = logging.getLogger(__name__)

PLAN_LOOKUP_KEY = "dreamapi_platform_plan"
ACTIVE_STATUSES = ("active", "trialing", "past_due")


def _stripe_mode() -> str:
    return "live" if settings.STRIPE_LIVE_MODE else "test"


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


def platform_plan_active(*, user: AbstractBaseUser) -> bool:
    from djstripe.models import Subscription

    # dj-stripe 2.11 keeps Stripe's fields in ``stripe_data``. Only the configured mode counts: in
    # production (live mode) a subscription bought with a test card never opens live keys.
    return Subscription.objects.filter(customer__subscriber=user, livemode=settings.STRIPE_LIVE_MODE,
                                       stripe_data__status__in=ACTIVE_STATUSES).exists()


def platform_plan_checkout(*, platform: Platform, success_url: str, cancel_url: str) -> str:
    """A Checkout URL (platform account) for the developer to subscribe. Returns the URL."""
    from djstripe.models import Customer

    if platform_plan_active(user=platform.owner):
        raise Conflict("Your plan is already active.", code="plan_active")
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
    )
    return url


def platform_plan_refresh(*, user: AbstractBaseUser) -> bool:
    """Mirror dj-stripe's view of the developer's subscription onto their Platform."""
    active = platform_plan_active(user=user)
    changed = Platform.objects.filter(owner=user).exclude(paid_plan_active=active).update(paid_plan_active=active)
    if changed:
        # This process stops (or starts) honouring live keys at once; others within the key cache's TTL.
        keycache.clear()
        logger.info("platform plan of user %s is now %s", user.pk, "active" if active else "inactive")
    return active


def platform_plan_refresh_for_customer(*, customer_id: str) -> None:
    from djstripe.models import Customer

    customer = Customer.objects.filter(id=customer_id).select_related("subscriber").first()
    if customer is not None and customer.subscriber is not None:
        platform_plan_refresh(user=customer.subscriber)
