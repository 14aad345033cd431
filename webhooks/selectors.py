"""Reads: a project's endpoints and deliveries, and who subscribes to what (cached in-process)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from tenants.models import Project

from .models import WebhookDelivery, WebhookEndpoint


@dataclass(frozen=True)
class Subscriber:
    endpoint_id: int
    event_types: frozenset[str]
    thresholds: frozenset[int]


# (project id, mode) → (monotonic expiry, subscribers). Trusted for API_KEY_CACHE_SECONDS, like
# API keys: an endpoint added, changed or removed in another process is seen within that
# time; in this process at once (``subscribers_forget``). It lets the hot path and every
# emitter learn "nobody listens" without a query.
_lock = threading.Lock()
_cache: dict[tuple[int, str], tuple[float, tuple[Subscriber, ...]]] = {}


def subscribers(*, project_id: int, mode: str) -> tuple[Subscriber, ...]:
    """The enabled endpoints of the project and mode and what they want (cached)."""
    key = (project_id, mode)
    entry = _cache.get(key)
    if entry is not None and entry[0] > time.monotonic():
        return entry[1]
    rows = WebhookEndpoint.objects.filter(project_id=project_id, mode=mode, enabled=True).values_list(
        "id", "event_types", "thresholds")
    found = tuple(Subscriber(endpoint_id=pk, event_types=frozenset(types), thresholds=frozenset(thresholds))
                  for pk, types, thresholds in rows)
    with _lock:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[key] = (time.monotonic() + settings.API_KEY_CACHE_SECONDS, found)
    return found


def subscribers_forget() -> None:
    with _lock:
        _cache.clear()


def endpoints_for_project(*, project: Project, mode: str) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(project=project, mode=mode)


def endpoint_for_project(*, project: Project, endpoint_id: str) -> WebhookEndpoint | None:
    """The project's endpoint (either mode) by its public id, or None for anyone else's."""
    return WebhookEndpoint.objects.filter(project=project, public_id=endpoint_id).first()


def deliveries_for_endpoint(*, endpoint: WebhookEndpoint, status: str = "") -> QuerySet[WebhookDelivery]:
    deliveries = endpoint.deliveries.select_related("event")
    if status in WebhookDelivery.Status.values:
        deliveries = deliveries.filter(status=status)
    return deliveries


def delivery_for_endpoint(*, endpoint: WebhookEndpoint, delivery_id: str) -> WebhookDelivery | None:
    return (endpoint.deliveries.select_related("event", "event__project").prefetch_related("attempt_log")
            .filter(public_id=delivery_id).first())
