"""Stripe events from the Connect webhook: stored once, processed by a Celery task.

The webhook view only verifies, stores and enqueues (answering Stripe fast). Processing
claims the event with a conditional UPDATE, so two workers never process one event, and
re-reads the objects from Stripe (see ``subscriptions``), so the order of events does not
matter. A failure that retrying can fix goes back to ``pending`` for the task's retry;
anything else, or too many attempts, ends ``failed``, visible in the admin and dashboard
with its error, and can be replayed.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dreamapi.errors import ApiError

from .. import stripe_api
from ..models import BillingCustomer, StripeConnection, StripeEvent
from .subscriptions import subscription_apply

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
SUBSCRIPTION_EVENTS = {"customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"}
INVOICE_EVENTS = {"invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed"}


EventHandler = Callable[[StripeEvent, StripeConnection], str]
_handlers: dict[str, EventHandler] = {}


def stripe_event_handler(*event_types: str) -> Callable[[EventHandler], EventHandler]:
    """Register a handler for Connect events this module does not handle itself.

    Apps beside billing (the store) take part in the same pipeline without billing importing
    them: they register in their ``AppConfig.ready``. A handler gets the claimed event and the
    connection it arrived on, runs inside the event's processing (failures are recorded and
    retried like billing's own), and returns a short note. A payment-mode
    ``checkout.session.completed`` goes to the handler registered for
    ``checkout.session.completed:payment``.
    """

    def register(handler: EventHandler) -> EventHandler:
        for event_type in event_types:
            _handlers[event_type] = handler
        return handler

    return register


class RetryLater(Exception):
    """Processing failed in a way a later attempt can fix (Stripe unreachable, a lock timeout…)."""


def _connection_for(event: StripeEvent) -> StripeConnection | None:
    mode = "live" if event.livemode else "test"
    return StripeConnection.objects.filter(account_id=event.account_id, mode=mode,
                                           disconnected_at__isnull=True).first()


def _enqueue(event_pk: int) -> None:
    from ..tasks import process_stripe_event

    transaction.on_commit(lambda: process_stripe_event.delay(event_pk))


def stripe_event_receive(*, payload: bytes, signature: str) -> tuple[StripeEvent, bool]:
    """Verify and store an event. Returns (event, created); a duplicate delivery is not enqueued again."""
    data = stripe_api.webhook_event_from_request(
        payload=payload, signature=signature, secrets=settings.STRIPE_CONNECT_WEBHOOK_SECRETS,
        tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
    )
    with transaction.atomic():
        event, created = StripeEvent.objects.get_or_create(
            stripe_event_id=str(data["id"]),
            defaults={
                "type": str(data["type"])[:100],
                "account_id": str(data.get("account") or ""),
                "livemode": bool(data.get("livemode")),
                "payload": data,
            },
        )
        if created:
            connection = _connection_for(event)
            if connection is not None:
                StripeEvent.objects.filter(pk=event.pk).update(project_id=connection.project_id)
            _enqueue(event.pk)
    return event, created


def _subscription_id(obj: dict[str, Any]) -> str | None:
    sub = obj.get("subscription")
    if not sub:  # invoices since API 2025-03-31: parent.subscription_details.subscription
        sub = ((obj.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    if isinstance(sub, dict):
        sub = sub.get("id")
    return str(sub) if sub else None


def _handle(event: StripeEvent, connection: StripeConnection) -> str:
    """Apply one event. Returns a short note of what happened."""
    obj = (event.payload.get("data") or {}).get("object") or {}
    if event.type == "checkout.session.completed" and obj.get("mode") != "subscription":
        handler = _handlers.get(f"checkout.session.completed:{obj.get('mode')}")
        return handler(event, connection) if handler else "not a subscription checkout"
    if event.type in _handlers:
        return _handlers[event.type](event, connection)
    if event.type == "checkout.session.completed":
        ref, customer = obj.get("client_reference_id"), obj.get("customer")
        if ref and customer:
            from tenants.models import EndUser

            end_user = EndUser.objects.filter(project_id=connection.project_id, mode=connection.mode,
                                              public_id=ref).first()
            if end_user is not None:
                BillingCustomer.objects.get_or_create(end_user=end_user, account_id=connection.account_id,
                                                      defaults={"stripe_customer_id": str(customer)})
        sub_id = _subscription_id(obj)
    elif event.type in SUBSCRIPTION_EVENTS:
        sub_id = str(obj.get("id") or "")
    elif event.type in INVOICE_EVENTS:
        sub_id = _subscription_id(obj)
    else:
        return "event type not handled"
    if not sub_id:
        return "no subscription in the event"
    subscription = subscription_apply(connection=connection, stripe_subscription_id=sub_id)
    if subscription is None:
        return f"subscription {sub_id} belongs to no end user of this project"
    return f"subscription {sub_id}: {subscription.status}"


def stripe_event_process(*, event_pk: int) -> StripeEvent | None:
    """Process a stored event once. Raises RetryLater when a later attempt can succeed."""
    claimed = StripeEvent.objects.filter(pk=event_pk, status=StripeEvent.Status.PENDING).update(
        status=StripeEvent.Status.PROCESSING, attempts=F("attempts") + 1
    )
    if not claimed:
        return None  # processed, ignored, failed, or another worker has it
    event = StripeEvent.objects.get(pk=event_pk)
    connection = _connection_for(event)
    if connection is None:
        StripeEvent.objects.filter(pk=event.pk).update(
            status=StripeEvent.Status.IGNORED, processed_at=timezone.now(),
            note="no project has this Stripe account connected" if event.account_id else "not a Connect event",
        )
        return event
    try:
        note = _handle(event, connection)
    except Exception as exc:  # every failure is recorded on the event; see the module docstring
        retryable = isinstance(exc, ApiError) and exc.retryable
        give_up = not retryable or event.attempts >= MAX_ATTEMPTS
        StripeEvent.objects.filter(pk=event.pk).update(
            status=StripeEvent.Status.FAILED if give_up else StripeEvent.Status.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        if give_up:
            logger.exception("stripe event %s failed for good", event.stripe_event_id)
            return event
        raise RetryLater(str(exc)) from exc
    StripeEvent.objects.filter(pk=event.pk).update(
        status=StripeEvent.Status.PROCESSED, processed_at=timezone.now(), note=note[:255], last_error=""
    )
    return event


def stripe_event_replay(*, event: StripeEvent) -> bool:
    """Process a failed or ignored event again (for example after connecting the account)."""
    updated = StripeEvent.objects.filter(
        pk=event.pk, status__in=[StripeEvent.Status.FAILED, StripeEvent.Status.IGNORED]
    ).update(status=StripeEvent.Status.PENDING, attempts=0)
    if updated:
        with transaction.atomic():
            _enqueue(event.pk)
    return bool(updated)


def stripe_events_requeue_stale(*, older_than_seconds: int = 600) -> int:
    """Events left ``processing`` by a worker that died go back to the queue."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    stale = list(StripeEvent.objects.filter(status__in=[StripeEvent.Status.PROCESSING, StripeEvent.Status.PENDING],
                                            received_at__lt=cutoff).values_list("pk", flat=True))
    StripeEvent.objects.filter(pk__in=stale, status=StripeEvent.Status.PROCESSING).update(
        status=StripeEvent.Status.PENDING
    )
    for pk in stale:
        with transaction.atomic():
            _enqueue(pk)
    return len(stale)
