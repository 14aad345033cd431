"""Stripe events from the Connect webhook: stored once, processed by a Celery task.

The webhook view only verifies, stores and enqueues (answering Stripe fast). Processing
claims the event with a conditional UPDATE, so two workers never process one event, and
re-reads the objects from Stripe (see ``subscriptions``), so the order of events does not
matter. A failure that retrying can fix goes back to ``pending`` for the task's retry;
anything else, or too many attempts, ends ``failed``, visible in the admin and dashboard
with its error, and can be replayed.

If the broker can't take the task, the event is stored anyway and Stripe still gets its 200:
the event stays ``pending`` and is queued again when Stripe delivers it again or when the
reconciliation task finds it (``stripe_events_requeue_stale``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any, Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from dreamapi.errors import ApiError

from .. import stripe_api
from ..models import BillingCustomer, StripeConnection, StripeEvent
from .checkout import billing_customer_forget
from .connect import stripe_connection_account_refresh, stripe_connection_deauthorized
from .developer_events import trial_ending_announce
from .subscriptions import subscription_apply

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
SUBSCRIPTION_EVENTS = {"customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
                       "customer.subscription.paused", "customer.subscription.resumed",
                       "customer.subscription.trial_will_end"}
# A schedule changing (a downgrade set up in the portal, released, ended) changes what the subscription will become.
SCHEDULE_EVENTS = {"subscription_schedule.created", "subscription_schedule.updated", "subscription_schedule.released",
                   "subscription_schedule.canceled", "subscription_schedule.completed"}
INVOICE_EVENTS = {"invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed",
                  "invoice.payment_action_required"}
ACCOUNT_EVENTS = {"account.updated", "account.application.deauthorized"}
# Every Connect event type billing acts on (the platform's webhook endpoint must send them; see the README).
HANDLED_EVENTS = frozenset({"checkout.session.completed", "customer.deleted", *SUBSCRIPTION_EVENTS, *SCHEDULE_EVENTS,
                            *INVOICE_EVENTS, *ACCOUNT_EVENTS})


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
    connections = StripeConnection.objects.filter(account_id=event.account_id, disconnected_at__isnull=True)
    if event.type == "account.application.deauthorized":
        return connections.first()  # the revocation covers the account in both modes
    return connections.filter(mode="live" if event.livemode else "test").first()


def _send(event_pk: int) -> bool:
    """Hand the event to the broker. When the broker is down the event stays ``pending``: it is
    queued again on Stripe's next delivery of it or by ``stripe_events_requeue_stale``."""
    from ..tasks import process_stripe_event  # tasks import this module

    try:
        process_stripe_event.delay(event_pk)
    except (OperationalError, OSError) as exc:
        logger.warning("stripe event %s stored but not queued (broker unavailable: %s); it stays pending", event_pk,
                       exc)
        return False
    return True


def _enqueue(event_pk: int) -> None:
    transaction.on_commit(lambda: _send(event_pk))


def stripe_event_receive(*, payload: bytes, signature: str) -> tuple[StripeEvent, bool]:
    """Verify and store an event. Returns (event, created). A duplicate delivery of an event that
    is still ``pending`` (its first queueing failed, or it waits for a retry) is queued again; the
    claim in ``stripe_event_process`` keeps it from running twice."""
    data = stripe_api.webhook_event_from_request(
        payload=payload, signature=signature, secrets=settings.STRIPE_CONNECT_WEBHOOK_SECRETS,
        tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
    )
    with transaction.atomic():
        event, created = StripeEvent.objects.get_or_create(
            stripe_event_id=str(data["id"]),
            defaults={
                "type": str(data["type"]),
                "account_id": str(data.get("account") or ""),
                "livemode": bool(data.get("livemode")),
                "payload": data,
            },
        )
        if created:
            connection = _connection_for(event)
            if connection is not None:
                StripeEvent.objects.filter(pk=event.pk).update(project_id=connection.project_id)
        if created or event.status == StripeEvent.Status.PENDING:
            _enqueue(event.pk)
    return event, created


def _id(value: Any) -> str | None:
    return stripe_api.expandable_id(value) or None


def _invoice_subscription_id(invoice: dict[str, Any]) -> str | None:
    # Since API 2025-03-31 an invoice names its subscription under parent.subscription_details.
    return _id(((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription"))


def _timestamp(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), tz=dt_timezone.utc) if value else timezone.now()


def _handle_account_event(event: StripeEvent, connection: StripeConnection) -> str:
    if event.type == "account.application.deauthorized":
        ended = stripe_connection_deauthorized(account_id=connection.account_id,
                                               at=_timestamp(event.payload.get("created")))
        return f"the account's owner revoked our access: {ended} connection(s) ended"
    connection = stripe_connection_account_refresh(connection=connection)
    if connection.onboarding_incomplete:
        return "the account can't take payments yet: its owner has not finished Stripe onboarding"
    return "account can take payments" if connection.charges_enabled else "account read"


def _handle(event: StripeEvent, connection: StripeConnection) -> str:
    """Apply one event. Returns a short note of what happened."""
    obj = (event.payload.get("data") or {}).get("object") or {}
    if event.type == "checkout.session.completed" and obj.get("mode") != "subscription":
        handler = _handlers.get(f"checkout.session.completed:{obj.get('mode')}")
        return handler(event, connection) if handler else "not a subscription checkout"
    if event.type in _handlers:
        return _handlers[event.type](event, connection)
    if event.type in ACCOUNT_EVENTS:
        return _handle_account_event(event, connection)
    if event.type == "customer.deleted":
        forgotten = billing_customer_forget(account_id=connection.account_id, stripe_customer_id=str(obj.get("id")))
        return "customer deleted in Stripe; the next checkout creates a new one" if forgotten else "not our customer"
    if event.type == "checkout.session.completed":
        ref, customer = obj.get("client_reference_id"), obj.get("customer")
        if ref and customer:
            from tenants.models import EndUser

            end_user = EndUser.objects.filter(project_id=connection.project_id, mode=connection.mode,
                                              public_id=ref).first()
            if end_user is not None:
                BillingCustomer.objects.get_or_create(end_user=end_user, account_id=connection.account_id,
                                                      defaults={"stripe_customer_id": str(customer)})
        sub_id = _id(obj.get("subscription"))
    elif event.type in SUBSCRIPTION_EVENTS:
        sub_id = _id(obj.get("id"))
    elif event.type in SCHEDULE_EVENTS:
        sub_id = _id(obj.get("subscription") or obj.get("released_subscription"))
    elif event.type in INVOICE_EVENTS:
        sub_id = _invoice_subscription_id(obj)
    else:
        return "event type not handled"
    if not sub_id:
        return "no subscription in the event"
    subscription = subscription_apply(connection=connection, stripe_subscription_id=sub_id)
    if subscription is None:
        return f"subscription {sub_id} belongs to no end user of this project"
    if event.type == "customer.subscription.trial_will_end" and subscription.status == "trialing":
        trial_ending_announce(subscription=subscription)
        return f"subscription {sub_id}: trial ends {subscription.trial_end:%Y-%m-%d %H:%M} UTC"
    if event.type == "invoice.payment_action_required":
        return (f"Action needed: the customer's bank asks them to authenticate the payment of invoice "
                f"{obj.get('id')} (3-D Secure); Stripe can e-mail them a link. Subscription {sub_id} is "
                f"{subscription.status} until they do.")
    return f"subscription {sub_id}: {subscription.status}"


def stripe_event_process(*, event_pk: int) -> StripeEvent | None:
    """Process a stored event once. Raises RetryLater when a later attempt can succeed."""
    claimed = StripeEvent.objects.filter(pk=event_pk, status=StripeEvent.Status.PENDING).update(
        status=StripeEvent.Status.PROCESSING, attempts=F("attempts") + 1, claimed_at=timezone.now()
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
    """Queue again what nobody is working on: events a dead worker left ``processing`` (claimed
    long ago: the claim time counts, not the arrival, so a long-received event replayed a moment
    ago is left alone) and ``pending`` events nobody has claimed for as long (their queueing
    failed while the broker was down). Returns how many were queued."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    idle = Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, received_at__lt=cutoff)
    stale = list(StripeEvent.objects.filter(idle, status__in=[StripeEvent.Status.PROCESSING,
                                                              StripeEvent.Status.PENDING]).values_list("pk", flat=True))
    StripeEvent.objects.filter(idle, pk__in=stale, status=StripeEvent.Status.PROCESSING).update(
        status=StripeEvent.Status.PENDING
    )
    return sum(_send(pk) for pk in stale)
