"""Signatures of webhook deliveries (the same scheme as Stripe's).

Every delivery carries::

    DreamAPI-Signature: t=1795900000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

``t`` is when it was sent (epoch seconds) and ``v1`` is the hex HMAC-SHA256 of
``f"{t}.{raw request body}"`` keyed with the endpoint's signing secret (the whole
``whsec_…`` string, UTF-8). While a rotated secret is still valid the header carries one
``v1`` per secret. To verify: recompute the HMAC over the raw body with your secret, compare
it in constant time with each ``v1``, and refuse a ``t`` more than five minutes from your
clock (a replayed old delivery). docs/webhooks.md has the code; both SDKs ship it.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from tenants.ids import random_token

SIGNATURE_HEADER = "DreamAPI-Signature"
SCHEME = "v1"
TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + random_token(40)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(*, secrets: list[str], timestamp: int, body: bytes) -> str:
    parts = [f"t={timestamp}"] + [f"{SCHEME}={signature(secret=s, timestamp=timestamp, body=body)}" for s in secrets]
    return ",".join(parts)


def signature_valid(*, header: str, secret: str, body: bytes, tolerance: int = TOLERANCE_SECONDS,
                    now: float | None = None) -> bool:
    """The receiving side's check (what the SDKs' helpers do), used by our own tests."""
    timestamp, candidates = None, []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == SCHEME:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
