"""The ``/_standin/`` control API (not part of Stripe; JSON in, JSON out, no auth).

==========================================  ================================================
``GET  /_standin/config``                   current settings
``POST /_standin/config``                   set ``public_base``, ``connect_webhook_url``,
                                            ``connect_webhook_secret``, ``platform_webhook_url``,
                                            ``platform_webhook_secret``, ``webhook_retry_delays``,
                                            ``webhook_timeout``
``GET  /_standin/webhooks``                 held flag, queued events, deliveries, failed ones
``POST /_standin/webhooks/hold``            ``{"hold": true|false}``
``POST /_standin/webhooks/flush``           ``{"order": "normal"|"reverse", "duplicate": false}``
``POST /_standin/webhooks/wait``            ``{"timeout": 10}``: block until delivered
``GET  /_standin/clock``                    ``{"now": ..., "offset": ...}``
``POST /_standin/clock/advance``            ``{"seconds": N}``, then renew/cancel/expire what is due
``POST /_standin/reset``                    forget all data (config is kept)
``POST /_standin/subscriptions/{id}/fail_payment``  declined renewal -> past_due
                                            (``{"authentication_required": true}``: the bank
                                            asks for 3-D Secure instead)
``POST /_standin/subscriptions/{id}/pause`` the subscription pauses (as when a trial ends
                                            without a payment method)
``GET  /_standin/accounts``                 platform and connected accounts with their state
``POST /_standin/accounts/{id}``            ``{"onboarding_complete": bool}``: the owner
                                            finishes (or owes) onboarding -> account.updated
``POST /_standin/accounts/{id}/deauthorize``  the owner disconnects the platform in their
                                            Dashboard (``{"livemode": false}``)
``POST /_standin/accounts/{id}/portal_default``  the owner saves portal settings in the
                                            Dashboard: a default configuration
                                            (``{"livemode": false, "features": {...}}``)
``GET  /_standin/requests``                 the /v1 requests received since the last reset
==========================================  ================================================
"""

from __future__ import annotations

import copy
import datetime
import re
from typing import Any

from . import billing, oauth, objects, portal
from .responses import Response, json_response
from .store import Store
from .webhooks import Dispatcher

CONFIG_KEYS = ("public_base", "connect_webhook_url", "connect_webhook_secret", "platform_webhook_url",
               "platform_webhook_secret", "webhook_retry_delays", "webhook_timeout", "api_version")


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def handle(store: Store, dispatcher: Dispatcher, method: str, path: str, body: dict[str, Any]) -> Response:
    try:
        return json_response(200, _route(store, dispatcher, method, path, body))
    except ControlError as exc:
        return json_response(exc.status, {"error": str(exc)})


def _route(store: Store, dispatcher: Dispatcher, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    if path == "/_standin/config":
        if method == "POST":
            configure(store, body)
        return store.config.public()
    if path == "/_standin/webhooks" and method == "GET":
        return webhook_status(store)
    if path == "/_standin/webhooks/hold" and method == "POST":
        if not isinstance(body.get("hold"), bool):
            raise ControlError(400, "'hold' must be true or false")
        dispatcher.set_hold(body["hold"])
        return webhook_status(store)
    if path == "/_standin/webhooks/flush" and method == "POST":
        order = body.get("order", "normal")
        if order not in ("normal", "reverse"):
            raise ControlError(400, "'order' must be 'normal' or 'reverse'")
        deliveries = dispatcher.flush(order=order, duplicate=bool(body.get("duplicate", False)))
        return {"delivered": len(deliveries), "deliveries": deliveries}
    if path == "/_standin/webhooks/wait" and method == "POST":
        return {"idle": dispatcher.wait_idle(float(body.get("timeout", 10)))}
    if path == "/_standin/clock" and method == "GET":
        with store.lock:
            return clock_status(store)
    if path == "/_standin/clock/advance" and method == "POST":
        seconds = body.get("seconds")
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
            raise ControlError(400, "'seconds' must be a non-negative integer")
        with store.lock:
            processed = advance_clock(store, seconds)
            return {**clock_status(store), "processed": processed}
    if path == "/_standin/reset" and method == "POST":
        store.reset()
        return {"reset": True}
    match = re.fullmatch(r"/_standin/subscriptions/([^/]+)/(fail_payment|pause)", path)
    if match and method == "POST":
        if match.group(2) == "pause":
            return pause(store, match.group(1))
        return fail_payment(store, match.group(1), authentication_required=body.get("authentication_required") is True)
    match = re.fullmatch(r"/_standin/accounts/([^/]+)(/deauthorize|/portal_default)?", path)
    if match and method == "POST":
        return account_action(store, match.group(1), match.group(2) or "", body)
    if path == "/_standin/requests" and method == "GET":
        with store.lock:
            return {"requests": list(store.request_log)}
    if path == "/_standin/accounts" and method == "GET":
        with store.lock:
            return {"accounts": [
                {"id": s.obj["id"], "connected": s.connected, "deauthorized": s.deauthorized,
                 "client_id": s.client_id, "name": s.obj["settings"]["dashboard"]["display_name"]}
                for s in store.accounts.values()
            ]}
    raise ControlError(404, f"Unknown control endpoint: {method} {path}")


def configure(store: Store, values: dict[str, Any]) -> None:
    unknown = set(values) - set(CONFIG_KEYS)
    if unknown:
        raise ControlError(400, f"Unknown config keys: {', '.join(sorted(unknown))}")
    with store.lock:
        for key, value in values.items():
            if key == "webhook_retry_delays":
                value = tuple(float(v) for v in value)
            elif key == "webhook_timeout":
                value = float(value)
            elif key == "public_base" and value:
                value = str(value).rstrip("/")
            setattr(store.config, key, value)


def webhook_status(store: Store) -> dict[str, Any]:
    with store.lock:
        webhooks = store.webhooks
        queued = [{"event_id": e["id"], "type": e["type"], "account": e.get("account")}
                  for e in store.events(webhooks.queue)]
        deliveries = [dict(d) for d in webhooks.deliveries]
        return {
            "held": webhooks.held,
            "in_flight": webhooks.in_flight,
            "queued": queued,
            "deliveries": deliveries,
            "failed": [d for d in deliveries if d["status"] == "failed"],
        }


def clock_status(store: Store) -> dict[str, Any]:
    now = store.now()
    return {"now": now, "offset": store.clock_offset,
            "iso": datetime.datetime.fromtimestamp(now, tz=datetime.timezone.utc).isoformat()}


def advance_clock(store: Store, seconds: int) -> list[str]:
    with store.lock:
        store.clock_offset += seconds
        return billing.process_due(store)


def _subscription(store: Store, sub_id: str) -> Any:
    rec = store.record(sub_id)
    if rec is None or rec.obj.get("object") != "subscription":
        raise ControlError(404, f"No such subscription: {sub_id}")
    return rec


def fail_payment(store: Store, sub_id: str, *, authentication_required: bool = False) -> dict[str, Any]:
    with store.lock:
        rec = _subscription(store, sub_id)
        if rec.obj["status"] not in ("active", "past_due"):
            raise ControlError(400, f"Subscription {sub_id} is {rec.obj['status']}")
        invoice = billing.fail_payment(billing.Scope.of(store, rec), rec.obj,
                                       authentication_required=authentication_required)
        return {"invoice": invoice, "subscription": rec.obj}


def pause(store: Store, sub_id: str) -> dict[str, Any]:
    with store.lock:
        rec = _subscription(store, sub_id)
        if rec.obj["status"] not in ("active", "trialing"):
            raise ControlError(400, f"Subscription {sub_id} is {rec.obj['status']}")
        billing.pause(billing.Scope.of(store, rec), rec.obj)
        return {"subscription": rec.obj}


def account_action(store: Store, account_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
    """What a connected account's owner does in their own Dashboard."""
    livemode = body.get("livemode") is True
    with store.lock:
        state = store.active_account(account_id)
        if state is None or not state.connected:
            raise ControlError(404, f"No connected account {account_id}")
        if action == "/deauthorize":
            oauth.revoke_access(store, state, livemode)
            return {"deauthorized": account_id}
        if action == "/portal_default":
            features = body.get("features") or {"subscription_cancel": {"enabled": True},
                                                 "invoice_history": {"enabled": True}}
            return portal.save_default(store, account_id, livemode, features)
        if not isinstance(body.get("onboarding_complete"), bool):
            raise ControlError(400, "'onboarding_complete' must be true or false")
        before = copy.deepcopy(state.obj)
        objects.set_onboarding(state.obj, complete=body["onboarding_complete"])
        changed = billing.previous_attributes(before, state.obj)
        if changed:
            store.emit("account.updated", state.obj, account=account_id, livemode=livemode,
                       previous_attributes=changed)
        return state.obj
