"""What happens to a held cart afterwards: paid (an order, stock gone for good), expired or
abandoned (stock back), refunded (the order says so, and stock may come back).

Every path goes through the same functions, whatever triggered it (a webhook, the periodic
sweep, an operator): lock the reservation (or order) row, look at Stripe's current state
of the session (or charge), and move on only from the state we hold. A reservation is
completed or released once; a duplicated, reordered or replayed event finds it closed and
changes nothing. Stock moves by the conditional statements of ``inventory.py``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing import stripe_api
from billing.models import StripeConnection
from dreamapi.errors import ApiError

from ..models import Order, OrderLine, Reservation
from .inventory import stock_commit, stock_release, stock_restock, stock_take

logger = logging.getLogger(__name__)

PAID = ("paid", "no_payment_required")
# How long past its expiry an open checkout waits for Stripe's event before the sweep asks Stripe.
SWEEP_GRACE = timedelta(minutes=5)
# A hold whose Checkout Session id was never saved (the process died in between) is released
# this long after its expiry: Stripe no longer accepts payment for it by then.
PENDING_GRACE = timedelta(hours=1)
# A hold Stripe cannot tell us about (the account was disconnected…) is let go after this.
UNRESOLVED_GRACE = timedelta(hours=24)


def reservation_release(*, reservation_id: int, reason: str) -> bool:
    """Give the held stock back, once. False if the reservation was already closed."""
    with transaction.atomic():
        reservation = Reservation.objects.select_for_update().filter(pk=reservation_id).first()
        if reservation is None or reservation.status not in Reservation.OPEN_STATUSES:
            return False
        for line in reservation.lines.all():
            stock_release(product_id=line.product_id, quantity=line.quantity)
        reservation.status = Reservation.Status.RELEASED
        reservation.release_reason = reason
        reservation.closed_at = timezone.now()
        if reason == "abandoned":
            reservation.idempotency_key = None  # nothing was created: a retry may start afresh
        reservation.save(update_fields=["status", "release_reason", "closed_at", "idempotency_key"])
    return True


def _order_from(reservation: Reservation, session: dict[str, Any], *, paid_at: datetime,
                shortfall: bool) -> Order:
    details = session.get("customer_details") or {}
    payment_intent = session.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    order = Order.objects.create(
        project_id=reservation.project_id, mode=reservation.mode, reservation=reservation,
        stripe_account_id=reservation.stripe_account_id, stripe_session_id=str(session["id"]),
        payment_intent_id=str(payment_intent or ""),
        email=(details.get("email") or session.get("customer_email") or reservation.email or "")[:254],
        name=(details.get("name") or reservation.name or "")[:200],
        amount_total=int(session.get("amount_total") or 0), currency=str(session.get("currency") or ""),
        stock_shortfall=shortfall, paid_at=paid_at,
    )
    OrderLine.objects.bulk_create([
        OrderLine(order=order, product=line.product, product_name=line.product.display_name,
                  stripe_price_id=line.stripe_price_id, quantity=line.quantity, unit_amount=line.unit_amount,
                  amount_total=line.unit_amount * line.quantity)
        for line in reservation.lines.select_related("product")
    ])
    return order


def reservation_complete(*, reservation_id: int, session: dict[str, Any], paid_at: datetime | None = None) -> str:
    """A paid session: its units leave stock for good and it becomes an order, exactly once."""
    with transaction.atomic():
        reservation = Reservation.objects.select_for_update().filter(pk=reservation_id).first()
        if reservation is None:
            return "no such reservation"
        if reservation.status == Reservation.Status.COMPLETED:
            return f"reservation {reservation.public_id} already completed"
        shortfall = False
        lines = list(reservation.lines.all())
        if reservation.status in Reservation.OPEN_STATUSES:
            for line in lines:
                stock_commit(product_id=line.product_id, quantity=line.quantity)
        else:
            # Paid after the hold was released (its event came very late): take the units if
            # they are still there; the order is real money either way.
            for line in lines:
                shortfall |= not stock_take(product_id=line.product_id, quantity=line.quantity)
        reservation.status = Reservation.Status.COMPLETED
        reservation.closed_at = timezone.now()
        reservation.save(update_fields=["status", "closed_at"])
        order = _order_from(reservation, session, paid_at=paid_at or timezone.now(), shortfall=shortfall)
    if shortfall:
        logger.warning("order %s was paid after its hold was released and the stock was gone", order.public_id)
    return f"order {order.public_id} created"


def reservation_apply_session(*, reservation: Reservation, session: dict[str, Any],
                              paid_at: datetime | None = None) -> str:
    """Bring a reservation in line with its Checkout Session as Stripe has it now."""
    status, payment_status = session.get("status"), session.get("payment_status")
    if status == "complete" and payment_status in PAID:
        return reservation_complete(reservation_id=reservation.pk, session=session, paid_at=paid_at)
    if status == "expired":
        released = reservation_release(reservation_id=reservation.pk, reason="expired")
        return f"reservation {reservation.public_id} {'released' if released else 'already closed'}"
    if status == "complete":
        return f"reservation {reservation.public_id} waits for an asynchronous payment"
    return f"reservation {reservation.public_id} is still open"


def reservation_for_session(*, connection: StripeConnection, session: dict[str, Any]) -> Reservation | None:
    """Our hold for a Checkout Session of this project (None for sessions dream-api did not start)."""
    reservations = Reservation.objects.filter(project_id=connection.project_id, mode=connection.mode)
    found = reservations.filter(stripe_session_id=str(session.get("id") or "")).first()
    if found is None:
        ref = (session.get("metadata") or {}).get("dreamapi_reservation")
        found = reservations.filter(public_id=ref).first() if ref else None
    return found


def _event_time(payload: dict[str, Any]) -> datetime | None:
    created = payload.get("created")
    return datetime.fromtimestamp(int(created), tz=dt_timezone.utc) if created else None


def on_checkout_session_event(*, payload: dict[str, Any], connection: StripeConnection) -> str:
    """``checkout.session.completed`` (payment mode), ``.expired`` and the async payment events."""
    obj = (payload.get("data") or {}).get("object") or {}
    reservation = reservation_for_session(connection=connection, session=obj)
    if reservation is None:
        return "not a dream-api cart checkout"
    session = stripe_api.checkout_session_retrieve(mode=connection.mode, account=connection.account_id,
                                                   session=str(obj["id"]))
    if payload.get("type") == "checkout.session.async_payment_failed" and session.get("payment_status") != "paid":
        released = reservation_release(reservation_id=reservation.pk, reason="payment_failed")
        return f"reservation {reservation.public_id} {'released' if released else 'already closed'}"
    return reservation_apply_session(reservation=reservation, session=session, paid_at=_event_time(payload))


# --- refunds --------------------------------------------------------------------------------


def order_apply_charge(*, order_id: int, charge: dict[str, Any]) -> str:
    """Record the charge's refunds on the order; a full refund puts back, once, the units of
    the products that restock on refund."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        refunded = min(int(charge.get("amount_refunded") or 0), order.amount_total)
        if charge.get("refunded") or (refunded and refunded >= order.amount_total):
            order.status = Order.Status.REFUNDED
        elif refunded:
            order.status = Order.Status.PARTIALLY_REFUNDED
        else:
            order.status = Order.Status.PAID
        order.amount_refunded = refunded
        restocked = []
        if order.status == Order.Status.REFUNDED and not order.restocked:
            for line in order.lines.select_related("product"):
                if line.product.restock_on_refund and stock_restock(product_id=line.product_id,
                                                                    quantity=line.quantity):
                    restocked.append(f"{line.quantity}× {line.product.name}")
            order.restocked = True
        order.save(update_fields=["status", "amount_refunded", "restocked", "updated_at"])
    note = f"order {order.public_id}: {order.status}"
    return f"{note}, restocked {', '.join(restocked)}" if restocked else note


def on_charge_refunded(*, payload: dict[str, Any], connection: StripeConnection) -> str:
    obj = (payload.get("data") or {}).get("object") or {}
    charge = stripe_api.charge_retrieve(mode=connection.mode, account=connection.account_id, charge=str(obj["id"]))
    payment_intent = charge.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    if not payment_intent:
        return "the charge has no payment intent"
    orders = Order.objects.filter(project_id=connection.project_id, mode=connection.mode)
    order = orders.filter(payment_intent_id=payment_intent).first()
    if order is None:
        # The refund's event overtook the payment's: complete the order from the session first.
        session = stripe_api.checkout_session_for_payment_intent(
            mode=connection.mode, account=connection.account_id, payment_intent=str(payment_intent))
        reservation = reservation_for_session(connection=connection, session=session) if session else None
        if reservation is None or session is None:
            return "not a dream-api order"
        reservation_apply_session(reservation=reservation, session=session)
        order = orders.filter(payment_intent_id=payment_intent).first()
        if order is None:
            raise ApiError("The refunded payment's checkout is not complete yet.", code="order_not_ready",
                           retryable=True)
    return order_apply_charge(order_id=order.pk, charge=charge)


# --- the sweep (Celery beat) ------------------------------------------------------------------


def reservations_sweep(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Close holds whose checkout is over even if Stripe's event never came: ask Stripe about
    each open one past its expiry (paid → order, expired → release, still open → expire it
    now), and release holds that never got a session."""
    now = now or timezone.now()
    result = {"completed": 0, "released": 0, "errors": 0}
    due = Reservation.objects.filter(status=Reservation.Status.OPEN, expires_at__lt=now - SWEEP_GRACE).order_by(
        "expires_at")[:limit]
    for reservation in due:
        try:
            _sweep_one(reservation)
        except ApiError as exc:
            result["errors"] += 1
            logger.warning("sweep: reservation %s: %s", reservation.public_id, exc)
            if reservation.expires_at < now - UNRESOLVED_GRACE:
                reservation_release(reservation_id=reservation.pk, reason="unresolved")
        status = Reservation.objects.filter(pk=reservation.pk).values_list("status", flat=True).first()
        if status == Reservation.Status.COMPLETED:
            result["completed"] += 1
        elif status == Reservation.Status.RELEASED:
            result["released"] += 1
    stale = Reservation.objects.filter(status=Reservation.Status.PENDING,
                                       expires_at__lt=now - PENDING_GRACE).values_list("pk", flat=True)[:limit]
    for pk in list(stale):
        result["released"] += reservation_release(reservation_id=pk, reason="abandoned")
    return result


def _sweep_one(reservation: Reservation) -> str:
    mode, account = reservation.mode, reservation.stripe_account_id
    session_id = str(reservation.stripe_session_id)
    session = stripe_api.checkout_session_retrieve(mode=mode, account=account, session=session_id)
    if session.get("status") == "open":
        session = stripe_api.checkout_session_expire(mode=mode, account=account, session=session_id)
    return reservation_apply_session(reservation=reservation, session=session)
