"""Guest cart checkout: hold the stock, then open a payment-mode Checkout Session.

The hold comes first and is all-or-nothing: one transaction runs one conditional UPDATE per
product (in a fixed order, so two carts never deadlock); if any line cannot be held the
transaction rolls back and releases the lines before it. Only then is Stripe called, outside
any transaction. If Stripe fails the hold is released at once; otherwise it lives until the
session is paid or expires (``orders.py``), or the sweep finds it past its time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from billing import stripe_api
from dreamapi.errors import ApiError, Conflict
from tenants.models import Project

from ..models import Product, Reservation, ReservationLine
from .inventory import stock_available, stock_reserve
from .orders import reservation_release
from .products import require_connection

MAX_LINES = 20
MAX_QUANTITY = 99


@dataclass(frozen=True)
class CartItem:
    price_id: str
    quantity: int


def _merged(items: list[CartItem]) -> list[CartItem]:
    """One line per price (the same price twice adds up), in the order first seen."""
    totals: dict[str, int] = {}
    for item in items:
        totals[item.price_id] = totals.get(item.price_id, 0) + item.quantity
    for price_id, quantity in totals.items():
        if quantity > MAX_QUANTITY:
            raise ApiError(f"At most {MAX_QUANTITY} of one item per checkout; the cart asks for {quantity} of "
                           f"'{price_id}'.", code="quantity_too_large")
    return [CartItem(price_id=p, quantity=q) for p, q in totals.items()]


def _products_for(*, project_id: int, mode: str, items: list[CartItem], positions: dict[str, int]
                  ) -> dict[str, Product]:
    products = {p.stripe_price_id: p for p in Product.objects.filter(
        project_id=project_id, mode=mode, stripe_price_id__in=[i.price_id for i in items])}
    currencies = set()
    for item in items:
        index = positions[item.price_id]  # where the client put it, for the error's field name
        product = products.get(item.price_id)
        # Another project's price is "unknown" too: the answer never says whether it exists elsewhere.
        if product is None:
            raise ApiError(f"items.{index}.priceId: no product of this store has the price '{item.price_id}'.",
                           code="unknown_price", extra={"fields": {f"items.{index}.priceId": ["Unknown price."]}})
        if not product.active:
            raise ApiError(f"items.{index}.priceId: '{product.display_name}' is no longer for sale.",
                           code="product_archived",
                           extra={"fields": {f"items.{index}.priceId": ["This product is archived."]}})
        currencies.add(product.currency)
    if len(currencies) > 1:
        raise ApiError("All items of one checkout must be in the same currency.", code="mixed_currencies")
    return products


def _same_cart(reservation: Reservation, items: list[CartItem]) -> bool:
    held = sorted((line.stripe_price_id, line.quantity) for line in reservation.lines.all())
    return held == sorted((i.price_id, i.quantity) for i in items)


def _replay(reservation: Reservation, items: list[CartItem]) -> Reservation:
    """A retried request (same Idempotency-Key): the first answer, never a second hold."""
    if not _same_cart(reservation, items):
        raise ApiError("This Idempotency-Key was used for a different cart.", code="idempotency_key_reused")
    if reservation.status == Reservation.Status.PENDING:
        raise Conflict("The first request with this Idempotency-Key is still being processed.",
                       code="request_in_progress")
    return reservation


def _hold(*, project: Project, mode: str, account: str, items: list[CartItem], products: dict[str, Product],
          email: str, name: str, idempotency_key: str | None) -> Reservation:
    expires_at = timezone.now() + timedelta(seconds=settings.STORE_CHECKOUT_EXPIRES_SECONDS)
    with transaction.atomic():
        reservation = Reservation.objects.create(
            project=project, mode=mode, stripe_account_id=account, email=email, name=name,
            idempotency_key=idempotency_key, expires_at=expires_at,
        )
        ReservationLine.objects.bulk_create([
            ReservationLine(reservation=reservation, product=products[i.price_id], quantity=i.quantity,
                            unit_amount=products[i.price_id].price_cents, currency=products[i.price_id].currency,
                            stripe_price_id=i.price_id)
            for i in items
        ])
        for item in sorted(items, key=lambda i: products[i.price_id].pk):
            product = products[item.price_id]
            if not stock_reserve(product_id=product.pk, quantity=item.quantity):
                raise _insufficient(product, item)
    return reservation


def _insufficient(product: Product, item: CartItem) -> Conflict:
    available = stock_available(product_id=product.pk) or 0
    left = f"only {available} left" if available else "sold out"
    return Conflict(
        f"Not enough '{product.display_name}' in stock: {left}, the cart asks for {item.quantity}.",
        code="insufficient_inventory", title="Insufficient inventory",
        extra={"item": {"priceId": item.price_id, "productId": product.public_id, "name": product.name,
                        "requested": item.quantity, "available": available}},
    )


def cart_checkout_start(
    *, project: Project, mode: str, items: list[CartItem], email: str, name: str, success_url: str | None,
    cancel_url: str | None, idempotency_key: str | None = None,
) -> Reservation:
    """Hold the cart's stock and open a Checkout Session for it. Returns the open reservation
    (``stripe_session_id``, ``checkout_url``, ``expires_at``)."""
    if not items or len(items) > MAX_LINES:
        raise ApiError(f"A cart has 1 to {MAX_LINES} items.", code="invalid_cart")
    positions: dict[str, int] = {}
    for index, item in enumerate(items):
        positions.setdefault(item.price_id, index)
    items = _merged(items)
    if idempotency_key:
        earlier = Reservation.objects.filter(project=project, mode=mode, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return _replay(earlier, items)
    products = _products_for(project_id=project.id, mode=mode, items=items, positions=positions)
    connection = require_connection(project_id=project.id, mode=mode)
    for product in products.values():
        if product.stripe_account_id != connection.account_id or not product.stripe_price_id:
            raise Conflict(f"'{product.display_name}' is not in the connected Stripe account yet; save it again in "
                           "the dashboard (or PATCH it) to create it there.", code="product_not_in_stripe")
    try:
        reservation = _hold(project=project, mode=mode, account=connection.account_id, items=items,
                            products=products, email=email, name=name, idempotency_key=idempotency_key)
    except IntegrityError as exc:  # a concurrent request with the same Idempotency-Key won
        raise Conflict("The first request with this Idempotency-Key is still being processed.",
                       code="request_in_progress") from exc

    base = settings.SITE_URL
    try:
        session_id, url = stripe_api.payment_checkout_session_create(
            mode=mode, account=connection.account_id,
            line_items=[(i.price_id, i.quantity) for i in items],
            success_url=success_url or project.checkout_success_url or f"{base}/checkout/success",
            cancel_url=cancel_url or project.checkout_cancel_url or f"{base}/checkout/cancel",
            customer_email=email or None,
            expires_at=int(reservation.expires_at.timestamp()),
            client_reference_id=reservation.public_id,
            metadata={"dreamapi_project": project.public_id, "dreamapi_reservation": reservation.public_id},
            idempotency_key=f"cart-{reservation.public_id}",
        )
    except BaseException:
        reservation_release(reservation_id=reservation.pk, reason="abandoned")
        raise
    # Open it, unless an event about the session already moved it on (then keep that state).
    Reservation.objects.filter(pk=reservation.pk).update(
        stripe_session_id=session_id, checkout_url=url,
        status=Case(When(status=Reservation.Status.PENDING, then=Value(Reservation.Status.OPEN)),
                    default=F("status")),
    )
    reservation.refresh_from_db()
    return reservation
