"""Starting a subscription Checkout and opening the billing portal for an end user."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from dreamapi.errors import ApiError, Conflict, NotFound
from tenants.models import EndUser

from .. import stripe_api
from ..models import BillingCustomer, StripeConnection, Subscription, Tier
from .portal import portal_configuration_sync
from .tiers import active_connection

logger = logging.getLogger(__name__)


def _require_connection(end_user: EndUser) -> StripeConnection:
    connection = active_connection(project_id=end_user.project_id, mode=end_user.mode)
    if connection is None:
        raise Conflict(
            f"This project has no Stripe account connected in {end_user.mode} mode; connect one in the dashboard.",
            code="stripe_not_connected",
        )
    return connection


def billing_customer_get_or_create(*, end_user: EndUser, connection: StripeConnection) -> BillingCustomer:
    """The end user's Stripe Customer on the connected account: created once, then reused; created
    again if Stripe deleted it (the stale id is replaced in the same row)."""
    existing = BillingCustomer.objects.filter(end_user=end_user, account_id=connection.account_id).first()
    if existing is not None and existing.deleted_at is None:
        return existing
    replaced = existing.stripe_customer_id if existing is not None else None
    customer_id = stripe_api.customer_create(
        mode=end_user.mode,
        account=connection.account_id,
        email=end_user.email,
        metadata={"dreamapi_end_user": end_user.public_id, "dreamapi_project": end_user.project.public_id},
        # Concurrent first checkouts get one customer; a replacement is a new request, never a replay
        # of the deleted customer's creation.
        idempotency_key=stripe_api.idempotency_key("customer", end_user.pk, connection.account_id,
                                                   end_user.email, replaced),
    )
    if existing is not None:
        # Only the call that still sees the deleted id writes; a concurrent one reads the winner's row.
        BillingCustomer.objects.filter(pk=existing.pk, stripe_customer_id=replaced).update(
            stripe_customer_id=customer_id, deleted_at=None)
        return BillingCustomer.objects.get(pk=existing.pk)
    try:
        with transaction.atomic():
            return BillingCustomer.objects.create(end_user=end_user, account_id=connection.account_id,
                                                  stripe_customer_id=customer_id)
    except IntegrityError:
        # A concurrent call got there first; the idempotency key made Stripe return the same customer.
        return BillingCustomer.objects.get(end_user=end_user, account_id=connection.account_id)


def billing_customer_forget(*, account_id: str, stripe_customer_id: str) -> int:
    """Stripe deleted this customer: the next checkout of its end user creates a new one."""
    return BillingCustomer.objects.filter(account_id=account_id, stripe_customer_id=stripe_customer_id,
                                          deleted_at__isnull=True).update(deleted_at=timezone.now())


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
        raise Conflict("The end user already has a subscription; change plans with POST /api/change-plan or in "
                       "the customer portal (POST /api/customer-portal).", code="use_customer_portal")
    # A tier's trial is for a first subscription: an end user who has had a trial pays from the start.
    trial_days = tier.trial_days if not end_user.subscriptions.filter(trial_start__isnull=False).exists() else 0
    project = end_user.project
    metadata = {"dreamapi_end_user": end_user.public_id, "dreamapi_project": project.public_id,
                "dreamapi_tier": tier.slug}
    success_url = success_url or _default_url(project.checkout_success_url, "/checkout/success")
    cancel_url = cancel_url or _default_url(project.checkout_cancel_url, "/checkout/cancel")

    def create(customer: BillingCustomer) -> tuple[str, str]:
        return stripe_api.checkout_session_create(
            mode=end_user.mode,
            account=connection.account_id,
            checkout_mode="subscription",
            line_items=[(tier.stripe_price_id, 1)],
            success_url=success_url,
            cancel_url=cancel_url,
            customer=customer.stripe_customer_id,
            client_reference_id=end_user.public_id,
            metadata=metadata,
            trial_days=trial_days,
            trial_requires_card=tier.trial_requires_card,
            # A retried API call (same client key, same request) gets the same session, never a second
            # one; the client's key is hashed, so its length can't break Stripe's 255-character limit.
            idempotency_key=stripe_api.idempotency_key(
                "checkout", end_user.pk, tier.stripe_price_id, customer.stripe_customer_id, success_url,
                cancel_url, trial_days, tier.trial_requires_card, idempotency_key) if idempotency_key else None,
        )

    customer = billing_customer_get_or_create(end_user=end_user, connection=connection)
    try:
        return create(customer)
    except stripe_api.StripeError as exc:
        if not exc.is_missing("customer"):
            raise
    # Deleted on Stripe's side and the customer.deleted event not processed yet: replace it once.
    logger.info("Stripe customer %s of end user %s is gone; creating a new one", customer.stripe_customer_id,
                end_user.public_id)
    billing_customer_forget(account_id=connection.account_id, stripe_customer_id=customer.stripe_customer_id)
    return create(billing_customer_get_or_create(end_user=end_user, connection=connection))


def portal_start(*, end_user: EndUser, return_url: str | None) -> str:
    connection = _require_connection(end_user)
    customer = BillingCustomer.objects.filter(end_user=end_user, account_id=connection.account_id,
                                              deleted_at__isnull=True).first()
    if customer is None:
        raise Conflict("This end user has no billing account yet: they have never checked out.",
                       code="no_billing_account")
    configuration = connection.portal_configuration_id or portal_configuration_sync(connection=connection)

    def create(configuration: str) -> str:
        return stripe_api.billing_portal_session_create(
            mode=end_user.mode,
            account=connection.account_id,
            customer=customer.stripe_customer_id,
            return_url=return_url or _default_url(end_user.project.checkout_success_url, "/"),
            configuration=configuration,
        )

    try:
        return create(configuration)
    except stripe_api.StripeError as exc:
        if exc.is_missing("customer"):
            billing_customer_forget(account_id=connection.account_id, stripe_customer_id=customer.stripe_customer_id)
            raise Conflict("This end user's billing account was deleted in Stripe; a new checkout creates "
                           "another.", code="no_billing_account") from exc
        if not exc.is_missing("configuration"):
            raise
    StripeConnection.objects.filter(pk=connection.pk).update(portal_configuration_id="")
    connection.portal_configuration_id = ""
    return create(portal_configuration_sync(connection=connection))
