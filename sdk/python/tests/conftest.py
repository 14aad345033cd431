"""The live server and keys come from the environment (set by the repository's tests/sdk, or by
hand against ``./dev run``); tests that need it skip without it. Tests waiting for an endpoint
the server does not have yet skip, with the reason, only while the server answers 404 for it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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

    def raw(self, method: str, path: str, *, key: str | None = None, headers: dict[str, str] | None = None,
            json: Any = None) -> httpx.Response:
        all_headers = {"Authorization": f"Bearer {key or self.secret_key}", **(headers or {})}
        return httpx.request(method, self.base_url + path, headers=all_headers, json=json, timeout=30)

    def route_missing(self, method: str, path: str, json: Any = None) -> str | None:
        answer = self.raw(method, path, json=json)
        if answer.status_code == 404 and answer.json().get("message", "").startswith("No endpoint"):
            return f"the server has no {method} {path} yet (404)"
        return None

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
    )


@pytest.fixture
def api(live: Live) -> Iterator[DreamAPI]:
    with DreamAPI(live.secret_key, base_url=live.base_url, publishable_key=live.publishable_key) as client:
        yield client


def unique(prefix: str = "py") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def original_shapes_missing(live: Live) -> str | None:
    """The original's response shapes: the serializer documents what it renders, so the live
    schema says whether the server has them."""
    schema = httpx.get(f"{live.base_url}/api/schema/?format=json", timeout=30).json()
    if "publishableKey" in schema["components"]["schemas"]["Customer"]["properties"]:
        return None
    return "the server's Customer has no publishableKey yet (original response shapes)"
