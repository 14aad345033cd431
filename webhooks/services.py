"""Developer webhooks: endpoints, events, and their signed deliveries.

Any app announces something with ``developer_event_emit(project_id=…, mode=…, type=…,
data=…)``: when no enabled endpoint of the project and mode subscribes to ``type`` it costs
nothing (the subscriptions are cached in-process) and nothing is kept; otherwise the event
and one delivery per subscribed endpoint are saved in the caller's transaction and sent
after it commits, by a Celery task.

A delivery is an HTTPS POST through ``dreamapi.safehttp`` (never to a private, loopback or
link-local address, never following redirects), signed (``webhooks.signing``). A 2xx answer
is success; anything else, or no answer, is retried on ``RETRY_DELAYS`` (about a day in
all) and then marked failed. Each attempt is recorded with its status and the first
``RESPONSE_BODY_CAP`` characters of the answer. A delivery can be replayed (a new delivery
of the same event).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Callable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dreamapi import safehttp
from dreamapi.errors import ApiError
from signup import crypto
from tenants.models import EndUser, Project
from tenants.serializers import customer_json

from . import signing
from .events import CUSTOMER_CREATED, CUSTOMER_DELETED, EVENT_TYPES, USAGE_THRESHOLD_REACHED
from .models import DeveloperEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .selectors import subscribers, subscribers_forget

logger = logging.getLogger(__name__)

# Seconds from one failed attempt to the next: 1 min, 5 min, 30 min, 2 h, 5 h, 8 h, 8 h. The
# eighth attempt comes about 23.6 h after the first; when it fails the delivery has failed.
RETRY_DELAYS = (60, 300, 1800, 2 * 3600, 5 * 3600, 8 * 3600, 8 * 3600)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# An attempt in progress holds its delivery this long; a worker that died mid-attempt is
# then replaced by the periodic task.
ATTEMPT_LEASE = timedelta(seconds=60)
RESPONSE_BODY_CAP = 2048
ROTATION_OVERLAP = timedelta(hours=24)
NO_OVERLAP = timedelta(0)
MAX_THRESHOLDS = 10
MAX_ENDPOINTS_PER_PROJECT_MODE = 20
# Events (with their deliveries and attempts) are kept this long, then swept.
HISTORY_KEPT = timedelta(days=90)


# --- endpoints ------------------------------------------------------------------------------


def _invalid(field: str, message: str, code: str) -> ApiError:
    return ApiError(message, code=code, extra={"fields": {field: [message]}})


def _clean(*, url: str, event_types: list[str], thresholds: list[int] | None) -> tuple[str, list[str], list[int]]:
    url = (url or "").strip()
    try:
        safehttp.check_url(url, schemes=("https",))
    except safehttp.UnsafeRequest as exc:
        raise _invalid("url", str(exc), "invalid_webhook_url") from exc
    unknown = [t for t in event_types if t not in EVENT_TYPES]
    if unknown or not event_types:
        message = (f"Unknown event type {unknown[0]!r}." if unknown else "Choose at least one event.")
        raise _invalid("event_types", message, "invalid_event_types")
    thresholds = sorted(set(thresholds or []))
    if USAGE_THRESHOLD_REACHED in event_types:
        if not thresholds or len(thresholds) > MAX_THRESHOLDS or not all(
                isinstance(t, int) and not isinstance(t, bool) and 1 <= t <= 100 for t in thresholds):
            raise _invalid("thresholds", f"Give 1–{MAX_THRESHOLDS} thresholds, whole percentages from 1 to 100.",
                           "invalid_thresholds")
    return url, sorted(set(event_types), key=list(EVENT_TYPES).index), thresholds


def webhook_endpoint_create(*, project: Project, mode: str, url: str, event_types: list[str],
                            thresholds: list[int] | None = None, description: str = "",
                            enabled: bool = True) -> WebhookEndpoint:
    url, event_types, thresholds = _clean(url=url, event_types=event_types, thresholds=thresholds)
    if WebhookEndpoint.objects.filter(project=project, mode=mode).count() >= MAX_ENDPOINTS_PER_PROJECT_MODE:
        raise ApiError(f"A project has at most {MAX_ENDPOINTS_PER_PROJECT_MODE} endpoints per mode.",
                       code="too_many_webhook_endpoints")
    endpoint = WebhookEndpoint.objects.create(
        project=project, mode=mode, url=url, event_types=event_types, thresholds=thresholds,
        description=description.strip()[:200], enabled=enabled, secret_encrypted=crypto.encrypt(signing.new_secret()),
    )
    subscribers_forget()
    return endpoint


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, url: str, event_types: list[str],
                            thresholds: list[int] | None, description: str, enabled: bool) -> WebhookEndpoint:
    endpoint.url, endpoint.event_types, endpoint.thresholds = _clean(url=url, event_types=event_types,
                                                                     thresholds=thresholds)
    endpoint.description, endpoint.enabled = description.strip()[:200], enabled
    endpoint.save()
    subscribers_forget()
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()
    subscribers_forget()


def webhook_endpoint_secret(*, endpoint: WebhookEndpoint) -> str:
    return crypto.decrypt(endpoint.secret_encrypted)


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, overlap: timedelta = ROTATION_OVERLAP,
                                   now: datetime | None = None) -> str:
    """A new signing secret. For ``overlap`` the old one still signs beside it (two ``v1``), so
    receivers can switch without losing a delivery; ``NO_OVERLAP`` (a leaked secret) drops it now."""
    now = now or timezone.now()
    new = signing.new_secret()
    keep = overlap > NO_OVERLAP
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        secret_encrypted=crypto.encrypt(new),
        previous_secret_encrypted=endpoint.secret_encrypted if keep else "",
        previous_secret_expires_at=now + overlap if keep else None,
        updated_at=now,
    )
    endpoint.refresh_from_db()
    return new


def _signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    secrets = [crypto.decrypt(endpoint.secret_encrypted)]
    if endpoint.previous_secret_encrypted and endpoint.previous_secret_expires_at and \
            endpoint.previous_secret_expires_at > now:
        secrets.append(crypto.decrypt(endpoint.previous_secret_encrypted))
    return secrets


# --- events ---------------------------------------------------------------------------------


def _wants(subscriber, type: str, data: dict[str, Any] | None) -> bool:
    if type not in subscriber.event_types:
        return False
    # usage.threshold_reached goes to the endpoints that chose this threshold.
    return type != USAGE_THRESHOLD_REACHED or data is None or data.get("threshold") in subscriber.thresholds


def _targets(project_id: int, mode: str, type: str, data: dict[str, Any] | None) -> list[int]:
    return [s.endpoint_id for s in subscribers(project_id=project_id, mode=mode) if _wants(s, type, data)]


def developer_event_emit(*, project_id: int, mode: str, type: str,
                         data: dict[str, Any] | Callable[[], dict[str, Any]],
                         dedupe_key: str | None = None) -> None:
    """Announce ``type`` to the project's endpoints of this mode that subscribe to it.

    ``data`` is the event's JSON object, or a function that builds it (called only when some
    endpoint listens). When none does this costs no query and nothing is kept. Otherwise the
    event and its deliveries are recorded once the caller's transaction commits (at once
    outside one: an event never announces a change that was rolled back) and sent by Celery.
    ``dedupe_key`` makes the event happen once per project and mode (e.g. a threshold once per
    period): a later emission with the same key is dropped. Any app may call this; an error
    while recording is logged, never raised into the caller's request.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown developer event type {type!r}")
    if not _targets(project_id, mode, type, data if isinstance(data, dict) else None):
        return
    transaction.on_commit(partial(_event_record, project_id=project_id, mode=mode, type=type, data=data,
                                  dedupe_key=dedupe_key), robust=True)


def _event_record(*, project_id: int, mode: str, type: str, data: dict[str, Any] | Callable[[], dict[str, Any]],
                  dedupe_key: str | None) -> DeveloperEvent | None:
    if dedupe_key is not None and DeveloperEvent.objects.filter(project_id=project_id, mode=mode,
                                                                dedupe_key=dedupe_key).exists():
        return None
    data = data() if callable(data) else data
    # Endpoints that still exist: one deleted since the subscriptions were cached is skipped.
    targets = list(WebhookEndpoint.objects.filter(pk__in=_targets(project_id, mode, type, data), enabled=True)
                   .values_list("pk", flat=True))
    if not targets:
        return None
    event = DeveloperEvent(project_id=project_id, mode=mode, type=type, data=data, dedupe_key=dedupe_key)
    try:
        with transaction.atomic():
            event.save()
            deliveries = WebhookDelivery.objects.bulk_create([
                WebhookDelivery(event=event, endpoint_id=endpoint_id, next_attempt_at=timezone.now())
                for endpoint_id in targets
            ])
    except IntegrityError:
        # The dedupe key won by a concurrent emission, or an endpoint deleted this instant.
        logger.info("developer event %s (%s) not recorded: already happened or its endpoint is gone", type,
                    dedupe_key)
        return None
    _enqueue([d.pk for d in deliveries])
    return event


def _enqueue(delivery_ids: list[int]) -> None:
    from .tasks import deliver_webhook  # the tasks module imports this one

    for delivery_id in delivery_ids:
        try:
            deliver_webhook.delay(delivery_id)
        except Exception:  # the broker is down: the periodic task sends it
            logger.warning("could not queue webhook delivery %s; the periodic task will send it", delivery_id,
                           exc_info=True)


def customer_events(*, event: str, end_user: EndUser, **details: Any) -> None:
    """The tenants listener: ``customer.created`` and ``customer.deleted``."""
    type = {"created": CUSTOMER_CREATED, "deleted": CUSTOMER_DELETED}.get(event)
    if type is None or not _targets(end_user.project_id, end_user.mode, type, None):
        return
    developer_event_emit(project_id=end_user.project_id, mode=end_user.mode, type=type,
                         data={"customer": customer_json(end_user)}, dedupe_key=f"{type}:{end_user.public_id}")


# --- deliveries -----------------------------------------------------------------------------


def event_payload(event: DeveloperEvent) -> bytes:
    """The request body: the same bytes for every attempt and replay of the event."""
    envelope = {
        "id": event.public_id,
        "object": "event",
        "type": event.type,
        "created": int(event.created_at.timestamp()),
        "mode": event.mode,
        "projectId": event.project.public_id,
        "data": event.data,
    }
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the due attempt of a pending delivery (one worker wins; the lease covers the attempt)."""
    return WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now,
    ).update(next_attempt_at=now + ATTEMPT_LEASE, attempts=F("attempts") + 1, last_attempt_at=now) == 1


def webhook_delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """Send one due attempt of a delivery and record it. None when it was not due or another
    worker has it."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("event__project", "endpoint").get(pk=delivery_id)
    body = event_payload(delivery.event)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "DreamAPI-Event-Id": delivery.event.public_id,
        "DreamAPI-Event-Type": delivery.event.type,
        "DreamAPI-Delivery-Id": delivery.public_id,
        signing.SIGNATURE_HEADER: signing.signature_header(
            secrets=_signing_secrets(delivery.endpoint, now), timestamp=timestamp, body=body),
    }
    started = time.monotonic()
    status_code, response_body, error = None, "", ""
    try:
        response = safehttp.post(delivery.endpoint.url, body=body, headers=headers, max_bytes=RESPONSE_BODY_CAP,
                                 truncate=True)
        status_code, response_body = response.status, response.body.decode("utf-8", "replace")
    except safehttp.UnsafeRequest as exc:
        error = str(exc)[:300]
    duration_ms = int((time.monotonic() - started) * 1000)
    succeeded = status_code is not None and 200 <= status_code < 300
    if not succeeded and not error:
        error = f"The endpoint answered {status_code}."
    WebhookAttempt.objects.create(delivery=delivery, number=delivery.attempts, attempted_at=now,
                                  status_code=status_code, response_body=response_body[:RESPONSE_BODY_CAP],
                                  error="" if succeeded else error, duration_ms=duration_ms)
    done = timezone.now()
    changes: dict[str, Any] = {"last_status_code": status_code, "last_error": "" if succeeded else error}
    if succeeded:
        changes.update(status=WebhookDelivery.Status.SUCCEEDED, next_attempt_at=None, delivered_at=done)
    elif delivery.attempts >= MAX_ATTEMPTS:
        changes.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
        logger.warning("webhook delivery %s to %s failed for good after %s attempts", delivery.public_id,
                       delivery.endpoint.url, delivery.attempts)
    else:
        changes.update(next_attempt_at=done + timedelta(seconds=RETRY_DELAYS[delivery.attempts - 1]))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)
    delivery.refresh_from_db()
    return delivery


def webhook_delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the delivery's event to its endpoint again, as a new delivery (sent now, retried as any)."""
    replay = WebhookDelivery.objects.create(event=delivery.event, endpoint=delivery.endpoint,
                                            next_attempt_at=timezone.now(), replay_of=delivery)
    transaction.on_commit(lambda: _enqueue([replay.pk]))
    return replay


def webhook_deliveries_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Pending deliveries whose next attempt is due (retries, and first attempts the broker missed)."""
    now = now or timezone.now()
    return list(WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def webhook_history_sweep(*, now: datetime | None = None, batch: int = 5_000) -> int:
    """Delete events older than ``HISTORY_KEPT`` with their deliveries and attempts (periodic task),
    except events with a delivery still being retried. Returns how many events were deleted.

    A dedupe key goes with its event: an alert crossed again more than 90 days into one period
    (a yearly plan) could be sent again."""
    now = now or timezone.now()
    old = (DeveloperEvent.objects.filter(created_at__lt=now - HISTORY_KEPT)
           .exclude(deliveries__status=WebhookDelivery.Status.PENDING))
    deleted = 0
    while True:
        ids = list(old.values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += DeveloperEvent.objects.filter(pk__in=ids).delete()[1].get("webhooks.DeveloperEvent", 0)
