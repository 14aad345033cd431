"""Verify dream-api's webhook deliveries.

Each delivery is a POST with a JSON body and the header::

    DreamAPI-Signature: t=1795900000,v1=5257a869e7ec…

``v1`` is the hex HMAC-SHA256, keyed with your endpoint's signing secret (``whsec_…``, in the
dashboard), of ``f"{t}.{raw body}"``. Right after a secret rotation the header carries one
``v1`` per valid secret. Verify against the raw body bytes, before parsing them:

    from dreamapi.webhooks import verify, WebhookSignatureError

    try:
        event = verify(request.body, request.headers.get("DreamAPI-Signature"), secret)
    except WebhookSignatureError:
        return HttpResponse(status=400)
    if event["type"] == "usage.threshold_reached": ...

A ``t`` more than ``tolerance`` seconds (5 minutes) from your clock is refused, so a recorded
delivery cannot be replayed later. Deliveries can arrive more than once (retries, replays from
the dashboard): use ``event["id"]`` to handle each event once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from .errors import DreamAPIError

SIGNATURE_HEADER = "DreamAPI-Signature"
DEFAULT_TOLERANCE = 300


class WebhookSignatureError(DreamAPIError):
    """The delivery is not signed by this secret, or too old (a ``DreamAPIError``, status 400)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=400, code="invalid_webhook_signature", error="Invalid webhook signature")


def signature(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``v1`` value for ``payload`` sent at ``timestamp`` (what dream-api computes)."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()


def verify(payload: bytes | str, header: str | None, secret: str, *, tolerance: float = DEFAULT_TOLERANCE,
           now: float | None = None) -> dict[str, Any]:
    """The delivery's event (parsed JSON) when ``header`` signs ``payload`` with ``secret``;
    raises ``WebhookSignatureError`` otherwise."""
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    if not header:
        raise WebhookSignatureError(f"No {SIGNATURE_HEADER} header.")
    timestamp, candidates = None, []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise WebhookSignatureError(f"{SIGNATURE_HEADER} has no t= and v1= values.")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise WebhookSignatureError("The delivery's timestamp is too far from now (a replay, or a wrong clock).")
    expected = signature(body, secret, timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise WebhookSignatureError("The signature does not match this secret and body.")
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise WebhookSignatureError("The body is not JSON.") from exc
    if not isinstance(event, dict):
        raise WebhookSignatureError("The body is not a JSON object.")
    return event
