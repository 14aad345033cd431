"""The live server and keys come from the environment (set by the repository's tests/sdk, or by
hand against ``./dev run``); tests that need it skip without it (tests/sdk fails a run that
skips). Also: the hosted sign-in and the Stripe stand-in's Checkout page played as a person
would, and a small PNG."""

from __future__ import annotations

import os
import re
import struct
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import unescape
from typing import Any, TypeVar

import httpx
import pytest

from dreamapi import DreamAPI


@dataclass(frozen=True)
class Live:
    base_url: str
    secret_key: str
    publishable_key: str
    project_id: str
    paid_tier: str
    small_tier: str
    app_origin: str
    other_secret_key: str
    user_email: str
    user_password: str

    def raw(self, method: str, path: str, *, key: str | None = None, headers: dict[str, str] | None = None,
            json: Any = None) -> httpx.Response:
        all_headers = {"Authorization": f"Bearer {key or self.secret_key}", **(headers or {})}
        return httpx.request(method, self.base_url + path, headers=all_headers, json=json, timeout=30)

    def token_for(self, customer_id: str) -> str:
        answer = self.raw("POST", "/api/auth/refresh", json={"customerId": customer_id})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["token"])


@pytest.fixture(scope="session")
def live() -> Live:
    base_url = os.environ.get("DREAMAPI_BASE_URL", "")
    if not base_url:
        pytest.skip("DREAMAPI_BASE_URL and keys are not set")
    return Live(
        base_url=base_url,
        secret_key=os.environ["DREAMAPI_SECRET_KEY"],
        publishable_key=os.environ["DREAMAPI_PUBLISHABLE_KEY"],
        project_id=os.environ.get("DREAMAPI_PROJECT_ID", ""),
        paid_tier=os.environ.get("DREAMAPI_PAID_TIER", "pro"),
        small_tier=os.environ.get("DREAMAPI_SMALL_TIER", ""),
        app_origin=os.environ.get("DREAMAPI_APP_ORIGIN", "https://app.example.test"),
        other_secret_key=os.environ.get("DREAMAPI_OTHER_SECRET_KEY", ""),
        user_email=os.environ.get("DREAMAPI_USER_EMAIL", ""),
        user_password=os.environ.get("DREAMAPI_USER_PASSWORD", ""),
    )


@pytest.fixture
def api(live: Live) -> Iterator[DreamAPI]:
    with DreamAPI(live.secret_key, base_url=live.base_url, publishable_key=live.publishable_key) as client:
        yield client


def unique(prefix: str = "py") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


T = TypeVar("T")


def eventually(check: Callable[[], T | None], timeout: float = 15.0) -> T:
    """Polls ``check`` until it returns something truthy (Stripe's events arrive asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"still nothing after {timeout} s"
        time.sleep(0.1)


def hosted_sign_in(url: str, email: str, password: str, browser: httpx.Client | None = None) -> str:
    """Plays the end user on the hosted sign-in page; returns where it sends the browser back.
    ``browser`` keeps the hosted session's cookies for a later hosted page."""
    own = browser is None
    browser = browser or httpx.Client(timeout=30)
    try:
        page = browser.get(url)
        assert page.status_code == 200, page.text[:300]
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match
        answer = browser.post(url, data={"csrfmiddlewaretoken": match.group(1), "email": email, "password": password},
                              headers={"Referer": url})
    finally:
        if own:
            browser.close()
    assert answer.status_code == 303, answer.text[:500]
    return answer.headers["Location"]


def pay_on_checkout_page(checkout_url: str, email: str = "buyer@example.com") -> str:
    """Presses "Pay" on the Stripe stand-in's Checkout page; returns where it sends the buyer."""
    page = httpx.get(checkout_url, timeout=30)
    assert page.status_code == 200, page.text[:300]
    action = re.search(r'<form method="post" action="([^"]+/pay)"', page.text)
    assert action, page.text[:500]
    paid = httpx.post(str(httpx.URL(checkout_url).join(unescape(action.group(1)))), data={"email": email}, timeout=30)
    assert paid.status_code == 303, paid.text[:300]
    return paid.headers["Location"]


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    """A valid RGB PNG of one colour (the server decodes what it stores)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes((59, 91, 219)) * width for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
