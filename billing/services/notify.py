"""What billing tells the rest of the system when an end user's plan or subscription changes.

One seam, so billing imports nothing above it: every change goes through :func:`plan_event`,
which hands it to the listeners registered with :func:`plan_listener` (in an ``AppConfig.ready``).
Two kinds of listener are expected: the developer webhooks (send ``plan.changed``,
``subscription.past_due`` and ``trial.ending`` to the project's endpoints) and the end user's
entitlements (a ``plan.changed`` bumps the version their token carries, so ``/refresh`` issues new
claims).

Listeners run inside the transaction that made the change, under the end user's row lock: a
write they make commits or rolls back with it; anything sent outside should wait for
``transaction.on_commit``. ``data`` is JSON-ready, in the API's camelCase.

Event types and their ``data``:

- ``plan.changed``: ``{customerId, externalId, plan, previousPlan, at}`` whenever the tier an end
  user is on changes through billing (a checkout, an upgrade, a downgrade or a cancellation taking
  effect, a trial ending without a card);
- ``subscription.past_due``: ``{customerId, externalId, plan, subscriptionId}`` when a renewal payment
  fails;
- ``trial.ending``: ``{customerId, externalId, plan, subscriptionId, trialEnd}`` three days before a
  trial ends (Stripe's ``customer.subscription.trial_will_end``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from tenants.models import EndUser

logger = logging.getLogger(__name__)

PLAN_EVENT_TYPES = ("plan.changed", "subscription.past_due", "trial.ending")


class PlanListener(Protocol):
    def __call__(self, *, end_user: EndUser, type: str, data: dict[str, Any]) -> None: ...


_listeners: list[PlanListener] = []


def plan_listener(listener: PlanListener) -> PlanListener:
    """Register ``listener(*, end_user, type, data)`` for every plan event (once per function)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def plan_event(*, end_user: EndUser, type: str, **fields: Any) -> None:
    """Tell the listeners about one change to ``end_user``'s plan or subscription."""
    if type not in PLAN_EVENT_TYPES:
        raise ValueError(f"unknown plan event {type!r}")
    data = {"customerId": end_user.public_id, "externalId": end_user.external_id or None,
            **{key: _iso(value) if isinstance(value, datetime) else value for key, value in fields.items()}}
    logger.info("plan event %s for end user %s: %s", type, end_user.public_id, data)
    for listener in list(_listeners):
        listener(end_user=end_user, type=type, data=data)
