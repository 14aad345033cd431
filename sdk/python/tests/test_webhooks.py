"""dreamapi.webhooks.verify: dream-api's signature scheme (HMAC-SHA256 over f"{t}.{body}"), offline."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from dreamapi import DreamAPIError
from dreamapi.webhooks import SIGNATURE_HEADER, WebhookSignatureError, verify

SECRET = "whsec_test0123456789abcdefghijklmnopqrstuvwx"
NOW = 1_795_900_000
BODY = json.dumps({"id": "evt_1", "object": "event", "type": "usage.limit_reached", "created": NOW, "mode": "test",
                   "projectId": "prj_1", "data": {"feature": "api_calls"}}).encode()


def header(t: int = NOW, secrets: tuple[str, ...] = (SECRET,), body: bytes = BODY) -> str:
    signatures = [hmac.new(s.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest() for s in secrets]
    return ",".join([f"t={t}", *(f"v1={sig}" for sig in signatures)])


def test_a_signed_delivery_verifies_and_parses():
    assert SIGNATURE_HEADER == "DreamAPI-Signature"
    event = verify(BODY, header(), SECRET, now=NOW)
    assert (event["type"], event["data"]) == ("usage.limit_reached", {"feature": "api_calls"})
    assert verify(BODY.decode(), header(), SECRET, now=NOW)["id"] == "evt_1"


@pytest.mark.parametrize("body,signed,secret,message", [
    (BODY, header(), "whsec_other", "does not match"),
    (BODY.replace(b"api_calls", b"exports"), header(), SECRET, "does not match"),
    (BODY, "", SECRET, "No DreamAPI-Signature"),
    (BODY, "v1=abc", SECRET, "no t= and v1="),
    (BODY, header(NOW - 301), SECRET, "too far"),
    (BODY, header(NOW + 301), SECRET, "too far"),
    (b"not json", header(body=b"not json"), SECRET, "not JSON"),
])
def test_what_is_refused(body, signed, secret, message):
    with pytest.raises(WebhookSignatureError, match=message) as refused:
        verify(body, signed, secret, now=NOW)
    assert isinstance(refused.value, DreamAPIError) and refused.value.code == "invalid_webhook_signature"


def test_the_tolerance_can_be_widened_and_a_rotation_signs_with_both_secrets():
    assert verify(BODY, header(NOW - 3000), SECRET, now=NOW, tolerance=3600)["id"] == "evt_1"
    rotated = header(secrets=("whsec_new", SECRET))
    assert verify(BODY, rotated, SECRET, now=NOW)["id"] == verify(BODY, rotated, "whsec_new", now=NOW)["id"]
