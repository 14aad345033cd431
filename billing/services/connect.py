"""Stripe Connect (OAuth, Standard accounts): a developer connects their own account per mode."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from dreamapi.errors import ApiError, Conflict
from tenants.models import Mode, Project

from .. import stripe_api
from ..models import StripeConnection, Tier
from .portal import portal_configuration_sync
from .tiers import active_connection, tier_sync_to_stripe

logger = logging.getLogger(__name__)

_STATE_SALT = "billing.stripe-connect"
STATE_MAX_AGE_SECONDS = 15 * 60


def stripe_connect_start(*, project: Project, mode: str, redirect_uri: str) -> tuple[str, str]:
    """Returns (authorize URL, nonce). The caller keeps the nonce in the developer's session;
    the signed ``state`` names the project and mode and carries the nonce, so a callback
    forged for another project or replayed from another browser is refused."""
    if mode not in Mode.values:
        raise ApiError("Mode must be test or live.", code="invalid_mode")
    nonce = secrets.token_urlsafe(16)
    state = signing.dumps({"p": project.public_id, "m": mode, "n": nonce}, salt=_STATE_SALT)
    return stripe_api.connect_authorize_url(mode=mode, state=state, redirect_uri=redirect_uri), nonce


def stripe_connect_state_read(*, state: str, nonce: str | None) -> tuple[str, str]:
    """Check an OAuth callback's ``state``. Returns (project public id, mode)."""
    try:
        data = signing.loads(state, salt=_STATE_SALT, max_age=STATE_MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise ApiError("The Stripe connection took too long; start again.", code="state_expired") from exc
    except signing.BadSignature as exc:
        raise ApiError("The Stripe connection could not be verified (bad state).", code="invalid_state") from exc
    if not nonce or not secrets.compare_digest(str(data.get("n", "")), nonce):
        raise ApiError("The Stripe connection was not started from this browser session.", code="invalid_state")
    return data["p"], data["m"]


def stripe_connect_finish(*, project: Project, mode: str, code: str) -> StripeConnection:
    """Exchange the OAuth code, record the connection, read whether the account can take payments
    yet, create the paid tiers in Stripe and the portal configuration."""
    if active_connection(project_id=project.id, mode=mode) is not None:
        raise Conflict("A Stripe account is already connected in this mode; disconnect it first.",
                       code="stripe_already_connected")
    account_id, scope = stripe_api.connect_token(mode=mode, code=code)
    try:
        with transaction.atomic():
            connection = StripeConnection.objects.create(project=project, mode=mode, account_id=account_id,
                                                         scope=scope)
    except IntegrityError as exc:
        raise Conflict(f"Stripe account {account_id} is already connected to a project in {mode} mode.",
                       code="stripe_account_in_use") from exc
    stripe_connection_account_refresh(connection=connection)
    for tier in Tier.objects.filter(project=project, mode=mode, price_cents__gt=0).select_related("project"):
        with transaction.atomic():
            tier_sync_to_stripe(tier=tier, connection=connection, sync_portal=False)
    portal_configuration_sync(connection=connection)
    return connection


def stripe_connection_account_refresh(*, connection: StripeConnection) -> StripeConnection:
    """Read the connected account and keep whether it can take payments (``charges_enabled``) and
    has finished onboarding (``details_submitted``): a new Standard account whose owner skipped
    the details can't be charged, so the dashboard warns before checkouts fail. A failed read
    leaves the last known state (it is read again on the next ``account.updated``)."""
    try:
        account = stripe_api.account_retrieve(mode=connection.mode, account=connection.account_id)
    except stripe_api.StripeError as exc:
        logger.warning("could not read Stripe account %s: %s", connection.account_id, exc)
        return connection
    connection.charges_enabled = bool(account.get("charges_enabled"))
    connection.details_submitted = bool(account.get("details_submitted"))
    connection.account_checked_at = timezone.now()
    StripeConnection.objects.filter(pk=connection.pk).update(
        charges_enabled=connection.charges_enabled, details_submitted=connection.details_submitted,
        account_checked_at=connection.account_checked_at,
    )
    return connection


def stripe_connection_deauthorized(*, account_id: str, at: datetime) -> int:
    """The account's owner revoked our access on Stripe's side (``account.application.deauthorized``):
    every connection to the account ends, in both modes (the grant covers the whole account),
    unless it was made after the revocation. Tiers forget their Stripe ids, as on a disconnect.
    Returns how many connections ended."""
    ended = 0
    # Stripe's timestamps have whole seconds: a connection made within the revocation's second counts.
    before = at + timezone.timedelta(seconds=1)
    with transaction.atomic():
        for connection in StripeConnection.objects.select_for_update().filter(
                account_id=account_id, disconnected_at__isnull=True, connected_at__lt=before):
            StripeConnection.objects.filter(pk=connection.pk).update(disconnected_at=timezone.now(),
                                                                     deauthorized_at=at)
            Tier.objects.filter(project_id=connection.project_id, mode=connection.mode).update(
                stripe_product_id="", stripe_price_id="")
            ended += 1
    return ended


def stripe_disconnect(*, connection: StripeConnection) -> None:
    """Deauthorize on Stripe and stop using the account; the tiers forget their Stripe ids
    (another account gets new ones). The connection's row stays locked while Stripe is told, so
    the ``account.application.deauthorized`` event this sends can't mistake our own disconnect
    for the owner revoking access: its handler waits, then finds the connection already ended."""
    with transaction.atomic():
        locked = StripeConnection.objects.select_for_update().filter(pk=connection.pk,
                                                                     disconnected_at__isnull=True).first()
        if locked is None:
            return
        stripe_api.connect_deauthorize(mode=connection.mode, account=connection.account_id)
        StripeConnection.objects.filter(pk=connection.pk).update(disconnected_at=timezone.now())
        Tier.objects.filter(project_id=connection.project_id, mode=connection.mode).update(
            stripe_product_id="", stripe_price_id=""
        )
