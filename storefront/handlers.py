"""The store's part of billing's Stripe event pipeline (registered in ``StorefrontConfig.ready``).

Billing stores, claims and retries every Connect event; these functions only apply the
store's events. They re-read the session or charge from Stripe, so the event's own copy
(possibly stale, duplicated or out of order) never decides anything.
"""

from __future__ import annotations

from billing.models import StripeConnection, StripeEvent
from billing.services import stripe_event_handler

from .services import on_charge_refunded, on_checkout_session_event

CHECKOUT_EVENTS = (
    "checkout.session.completed:payment",
    "checkout.session.expired",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
)


def checkout_session_event(event: StripeEvent, connection: StripeConnection) -> str:
    return on_checkout_session_event(payload=event.payload, connection=connection)


def charge_refunded(event: StripeEvent, connection: StripeConnection) -> str:
    return on_charge_refunded(payload=event.payload, connection=connection)


def register() -> None:
    stripe_event_handler(*CHECKOUT_EVENTS)(checkout_session_event)
    stripe_event_handler("charge.refunded")(charge_refunded)
