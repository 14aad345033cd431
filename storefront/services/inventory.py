"""Stock counters, each changed by one conditional UPDATE whose row count says whether it applied.

No function here reads a counter and writes it back: the condition is in the statement, so
PostgreSQL re-checks it against the latest committed row after waiting for any concurrent
writer's lock. Many carts racing for the last units therefore end with exactly the units
there were, and the rest refused. (SQLite serialises writers, which gives the same result.)

A product row holds ``inventory`` (on hand, NULL = unlimited), ``reserved`` (held by open
checkouts, always <= inventory: a database CHECK) and ``sold``.
"""

from __future__ import annotations

import logging

from django.db.models import F, Q

from ..models import Product

logger = logging.getLogger(__name__)



def stock_reserve(*, product_id: int, quantity: int) -> bool:
    """Hold ``quantity`` units for a checkout if that many are unreserved (and the product is for sale).

    ``UPDATE product SET reserved = reserved + q WHERE id = … AND active
    AND (inventory IS NULL OR inventory >= reserved + q)``
    """
    return Product.objects.filter(
        Q(inventory__isnull=True) | Q(inventory__gte=F("reserved") + quantity), pk=product_id, active=True,
    ).update(reserved=F("reserved") + quantity) == 1


def stock_release(*, product_id: int, quantity: int) -> bool:
    """Give back units an open checkout held (it expired or was abandoned)."""
    released = Product.objects.filter(pk=product_id, reserved__gte=quantity).update(reserved=F("reserved") - quantity)
    if not released:
        logger.error("product %s: releasing %s units but fewer are reserved", product_id, quantity)
    return released == 1


def stock_commit(*, product_id: int, quantity: int) -> bool:
    """A held checkout was paid: its units leave the stock for good (NULL inventory stays NULL)."""
    committed = Product.objects.filter(pk=product_id, reserved__gte=quantity).update(
        reserved=F("reserved") - quantity, inventory=F("inventory") - quantity, sold=F("sold") + quantity,
    )
    if not committed:
        logger.error("product %s: committing %s units but fewer are reserved", product_id, quantity)
    return committed == 1


def stock_take(*, product_id: int, quantity: int) -> bool:
    """Take units that were not held (a payment that arrived after its hold was released),
    only if that many are still unreserved. False: the stock is not there any more."""
    return Product.objects.filter(
        Q(inventory__isnull=True) | Q(inventory__gte=F("reserved") + quantity), pk=product_id,
    ).update(inventory=F("inventory") - quantity, sold=F("sold") + quantity) == 1


def stock_restock(*, product_id: int, quantity: int) -> bool:
    """Refunded units go back on the shelf."""
    return Product.objects.filter(pk=product_id, sold__gte=quantity).update(
        inventory=F("inventory") + quantity, sold=F("sold") - quantity,
    ) == 1


def stock_set(*, product_id: int, inventory: int | None) -> bool:
    """Set the units on hand; refused (False) below what open checkouts hold."""
    products = Product.objects.filter(pk=product_id)
    if inventory is not None:
        products = products.filter(reserved__lte=inventory)
    return products.update(inventory=inventory) == 1


def stock_available(*, product_id: int) -> int | None:
    """Unreserved units now (None = unlimited), for messages only: never to decide a write."""
    row = Product.objects.filter(pk=product_id).values("inventory", "reserved").first()
    if row is None or row["inventory"] is None:
        return None
    return max(row["inventory"] - row["reserved"], 0)
