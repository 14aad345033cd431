"""The customer portal configuration we keep on each connected account, per mode.

Stripe's portal otherwise uses the account's *default* configuration, which exists only once the
account's owner has saved portal settings by hand, and offers for switching only the products it
lists. So we create our own configuration from the project's paid tiers (cancel at period end,
switching between the tiers' current prices, invoice history, payment method update), update it
whenever a tier changes, and name it in every portal session.
"""

from __future__ import annotations

import logging

from django.db import transaction

from .. import stripe_api
from ..models import StripeConnection, Tier

logger = logging.getLogger(__name__)

# Stripe lists at most 10 products for switching; the cheapest tiers (in the project's order) are kept.
MAX_PORTAL_PRODUCTS = 10


def portal_products(*, connection: StripeConnection) -> list[tuple[str, list[str]]]:
    """(product, [current price]) of each paid tier that is in Stripe, in the project's order."""
    tiers = (Tier.objects.filter(project_id=connection.project_id, mode=connection.mode, price_cents__gt=0)
             .exclude(stripe_product_id="").exclude(stripe_price_id=""))
    return [(tier.stripe_product_id, [tier.stripe_price_id]) for tier in tiers][:MAX_PORTAL_PRODUCTS]


def portal_configuration_sync(*, connection: StripeConnection) -> str:
    """Create the account's configuration, or bring it up to date with the tiers. Returns its id.

    The connection's row is locked while Stripe is told, so two tier saves at once write the
    configuration one after the other, the second with both changes.
    """
    with transaction.atomic():
        connection = StripeConnection.objects.select_for_update().get(pk=connection.pk)
        products = portal_products(connection=connection)
        mode, account = connection.mode, connection.account_id
        if connection.portal_configuration_id:
            try:
                stripe_api.portal_configuration_update(mode=mode, account=account, products=products,
                                                       configuration=connection.portal_configuration_id)
                return connection.portal_configuration_id
            except stripe_api.StripeError as exc:
                if exc.stripe_code != "resource_missing":
                    raise
                logger.warning("portal configuration %s of %s is gone; creating a new one",
                               connection.portal_configuration_id, account)
        configuration = stripe_api.portal_configuration_create(
            mode=mode, account=account, products=products,
            metadata={"dreamapi_project": connection.project.public_id, "dreamapi_mode": mode},
            idempotency_key=stripe_api.idempotency_key("portal-config", connection.pk,
                                                       connection.portal_configuration_id, products),
        )
        StripeConnection.objects.filter(pk=connection.pk).update(portal_configuration_id=configuration)
        connection.portal_configuration_id = configuration
        return configuration
