"""Starting a subscription Checkout and opening the billing portal for an end user."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction

from dreamapi.errors import ApiError, Conflict, NotFound
from tenants.models import EndUser

from .. import stripe_api
from ..models import BillingCustomer, StripeConnection, Subscription, Tier
from .tiers import active_connection


def _require_connection(end_user: EndUser) -> StripeConnection:
    connection = active_connection(project_id=end_user.project_id, mode=end_user.mode)
    if connection is None:
        raise Conflict(
            f"This project has no Stripe account connected in {end_user.mode} mode; connect one in the dashboard.",
            code="stripe_not_connected",
        )
    return connection


def billing_customer_get_or_create(*, end_user: EndUser, connection: StripeConnection) -> BillingCustomer:
    """The end user's Stripe Customer on the connected account: created once, then reused."""
    existing = BillingCustomer.objects.filter(end_user=end_user, account_id=connection.account_id).first()
    if existing is not None:
        return existing
    customer_id = stripe_api.customer_create(
        mode=end_user.mode,
        account=connection.account_id,
        email=end_user.email,
        metadata={"dreamapi_end_user": end_user.public_id, "dreamapi_project": end_user.project.public_id},
        idempotency_key=f"customer-{end_user.pk}-{connection.account_id}",
    )
    try:
        with transaction.atomic():
            return BillingCustomer.objects.create(end_user=end_user, account_id=connection.account_id,
                                                  stripe_customer_id=customer_id)
    except IntegrityError:
        # A concurrent call got there first; the idempotency key made Stripe return the same customer.
        return BillingCustomer.objects.get(end_user=end_user, account_id=connection.account_id)


def _default_url(configured: str, path: str) -> str:
    return configured or f"{settings.SITE_URL}{path}"


def checkout_start(
    *, end_user: EndUser, tier_slug: str, success_url: str | None, cancel_url: str | None,
    idempotency_key: str | None = None,
) -> tuple[str, str]:
    """A subscription Checkout Session for ``tier_slug``. Returns (session id, URL)."""
    tier = Tier.objects.filter(project_id=end_user.project_id, mode=end_user.mode, slug=tier_slug).first()
    if tier is None:
        raise NotFound(f"No tier '{tier_slug}' in this project and mode.", code="unknown_tier")
    if tier.is_free:
        raise ApiError(f"'{tier_slug}' is a free tier: there is nothing to pay.", code="free_tier")
    connection = _require_connection(end_user)
    if not tier.stripe_price_id:
        raise Conflict(f"Tier '{tier_slug}' has no Stripe price yet; save it in the dashboard to create one.",
                       code="tier_not_in_stripe")
    active = Subscription.objects.filter(end_user=end_user, status__in=Subscription.ACTIVE_STATUSES).first()
    if end_user.tier_id == tier.id or (active is not None and active.tier_id == tier.id):
        raise Conflict(f"The end user is already on '{tier_slug}'.", code="already_on_tier")
    if active is not None:
        raise Conflict("The end user already has a subscription; change plans in the customer portal "
                       "(POST /api/customer-portal).", code="use_customer_portal")
    customer = billing_customer_get_or_create(end_user=end_user, connection=connection)
    project = end_user.project
    metadata = {"dreamapi_end_user": end_user.public_id, "dreamapi_project": project.public_id,
                "dreamapi_tier": tier.slug}
    return stripe_api.checkout_session_create(
        mode=end_user.mode,
        account=connection.account_id,
        checkout_mode="subscription",
        line_items=[(tier.stripe_price_id, 1)],
        success_url=success_url or _default_url(project.checkout_success_url, "/checkout/success"),
        cancel_url=cancel_url or _default_url(project.checkout_cancel_url, "/checkout/cancel"),
        customer=customer.stripe_customer_id,
        client_reference_id=end_user.public_id,
        metadata=metadata,
        # A retried API call (same client key) gets the same session, never a second one.
        idempotency_key=f"checkout-{end_user.pk}-{tier.stripe_price_id}-{idempotency_key}" if idempotency_key else None,
    )


def portal_start(*, end_user: EndUser, return_url: str | None) -> str:
    connection = _require_connection(end_user)
    customer = BillingCustomer.objects.filter(end_user=end_user, account_id=connection.account_id).first()
    if customer is None:
        raise Conflict("This end user has no billing account yet: they have never checked out.",
                       code="no_billing_account")
    return stripe_api.billing_portal_session_create(
        mode=end_user.mode,
        account=connection.account_id,
        customer=customer.stripe_customer_id,
        return_url=return_url or _default_url(end_user.project.checkout_success_url, "/"),
    )
