"""Signing and delivering events to the configured webhook endpoints.

Stripe's scheme: the body is the event JSON; the ``Stripe-Signature`` header is
``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``. Receivers
(``stripe.Webhook.construct_event``) reject timestamps older than five
minutes, so ``t`` is always the real wall clock, never the stand-in's
advanced clock.

Events of connected accounts (they carry ``"account"``) go to the *connect*
endpoint; platform events go to the *platform* endpoint. One worker thread
delivers the queue in order; a failing delivery is retried (blocking the ones
behind it, which keeps the order) and finally recorded as ``failed``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Callable

from .store import Store


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def payload_of(event: dict[str, Any]) -> str:
    return json.dumps(event, indent=2)  # Stripe pretty-prints webhook bodies


class Dispatcher:
    """Owns the delivery worker; all queue state lives in ``store.webhooks``."""

    def __init__(self, store: Store, log: Callable[[str], None]) -> None:
        self.store = store
        self.log = log
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- worker -----------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stripe-standin-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self.store.lock:
            self._stopping = True
            self.store.changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        state_lock = self.store.changed
        while True:
            with state_lock:
                while not self._stopping and (self.store.webhooks.held or not self.store.webhooks.queue):
                    state_lock.wait()
                if self._stopping:
                    return
                webhooks = self.store.webhooks
                event_id = webhooks.queue.pop(0)
                webhooks.in_flight += 1
            try:
                self.deliver(event_id)
            finally:
                with state_lock:
                    # A reset may have replaced the state object meanwhile; count on the new one safely.
                    self.store.webhooks.in_flight = max(0, self.store.webhooks.in_flight - 1)
                    state_lock.notify_all()

    # -- delivery -------------------------------------------------------------------

    def deliver(self, event_id: str) -> dict[str, Any]:
        """Deliver one event (with retries) without holding the lock during I/O."""
        with self.store.lock:
            rec = self.store.record(event_id)
            if rec is None:  # reset while queued
                return {"event_id": event_id, "status": "dropped"}
            event = rec.obj
            config = self.store.config
            if "account" in event:
                endpoint, target_url, secret = "connect", config.connect_webhook_url, config.connect_webhook_secret
            else:
                endpoint, target_url, secret = "platform", config.platform_webhook_url, config.platform_webhook_secret
            delays = list(config.webhook_retry_delays)
            timeout = config.webhook_timeout
            payload = payload_of(event)
            delivery: dict[str, Any] = {
                "event_id": event_id, "type": event["type"], "account": event.get("account"),
                "endpoint": endpoint, "url": target_url, "status": "pending", "status_code": None,
                "attempts": 0, "error": None,
            }
            webhooks = self.store.webhooks
            webhooks.deliveries.append(delivery)
        if not target_url:
            delivery["status"] = "skipped"
            delivery["error"] = f"no {endpoint} webhook endpoint configured"
            return delivery

        for attempt, delay in enumerate([0.0, *delays], start=1):
            if delay:
                time.sleep(delay)
            status_code, error = self._post(target_url, payload, secret or "", timeout)
            with self.store.lock:
                delivery.update(attempts=attempt, status_code=status_code, error=error)
                if status_code is not None and 200 <= status_code < 300:
                    delivery["status"] = "delivered"
                    break
            if self._stopping:
                break
        if delivery["status"] != "delivered":
            delivery["status"] = "failed"
        self.log(f"webhook {event['type']} {event_id} -> {target_url} {delivery['status_code']} "
                 f"({delivery['status']}, {delivery['attempts']} attempt(s))")
        return delivery

    @staticmethod
    def _post(target_url: str, payload: str, secret: str, timeout: float) -> tuple[int | None, str | None]:
        request = urllib.request.Request(
            target_url,
            data=payload.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(payload, secret),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                return response.status, None
        except urllib.error.HTTPError as exc:
            return exc.code, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            return None, str(getattr(exc, "reason", exc))

    # -- control operations ----------------------------------------------------------------

    def set_hold(self, hold: bool) -> None:
        with self.store.lock:
            self.store.webhooks.held = hold
            self.store.changed.notify_all()

    def flush(self, order: str = "normal", duplicate: bool = False) -> list[dict[str, Any]]:
        """Deliver everything queued now, in this thread, optionally reversed or twice each."""
        with self.store.lock:
            queued = list(self.store.webhooks.queue)
            self.store.webhooks.queue.clear()
        if order == "reverse":
            queued.reverse()
        results = []
        for event_id in queued:
            for _ in range(2 if duplicate else 1):
                results.append(dict(self.deliver(event_id)))
        return results

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until the (unheld) queue is empty and nothing is in flight."""
        deadline = time.monotonic() + timeout
        with self.store.changed:
            while True:
                webhooks = self.store.webhooks
                if webhooks.in_flight == 0 and (webhooks.held or not webhooks.queue):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.store.changed.wait(remaining)
