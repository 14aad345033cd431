"""Requests, retries and errors, shared by the sync and async clients.

A 429 or 503 means the server did not apply the request, so it is retried for every method,
after ``Retry-After`` when the server sends one (else exponential backoff with jitter). A
timeout or a dropped connection is retried only where repeating cannot apply a write twice: a
GET, or a write that carries an idempotency key.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .errors import DreamAPIError

RETRY_STATUSES = frozenset({429, 503})
BASE_BACKOFF = 0.5


@dataclass(frozen=True)
class Settings:
    base_url: str
    secret_key: str | None
    publishable_key: str | None
    timeout: float
    max_retries: int
    max_retry_delay: float
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.secret_key or self.publishable_key or ""


@dataclass(frozen=True)
class Call:
    """One API call, before it is sent."""

    method: str
    path: str
    query: Mapping[str, Any] | None = None
    body: Any = None
    user_id: str | None = None
    user_token: str | None = None
    idempotency_key: str | None = None
    timeout: float | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    """Sent as multipart/form-data instead of a JSON body: part name → (file name, content, type)."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    reference = time.time() if now is None else now
    return max(0.0, float(moment.timestamp()) - reference)


def backoff(attempt: int, cap: float) -> float:
    exponential = min(cap, BASE_BACKOFF * 2.0**attempt)
    return exponential / 2 + random.random() * exponential / 2


def build_request(settings: Settings, call: Call) -> tuple[str, dict[str, str], dict[str, str], bytes | None]:
    headers = {"Accept": "application/json", **settings.headers, "Authorization": f"Bearer {settings.key}"}
    if call.user_id:
        if not settings.secret_key:
            raise DreamAPIError("Naming an end user by id needs the secret key.", status=403,
                                code="secret_key_required")
        headers["X-User-Id"] = call.user_id
    elif call.user_token:
        headers["X-User-Token"] = call.user_token
    if call.idempotency_key:
        headers["Idempotency-Key"] = call.idempotency_key
    content = None
    if call.body is not None:
        headers["Content-Type"] = "application/json"
        content = json.dumps(call.body, separators=(",", ":")).encode()
    query = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (call.query or {}).items() if v is not None}
    return settings.base_url + call.path, headers, query, content


def replay_safe(call: Call) -> bool:
    return call.method == "GET" or bool(call.idempotency_key)


def transport_error(call: Call, url: str, exc: Exception) -> DreamAPIError:
    code = "timeout" if isinstance(exc, httpx.TimeoutException) else "network_error"
    message = f"No answer from {url} in time." if code == "timeout" else f"Could not reach {url}: {exc}"
    return DreamAPIError(message, status=0, code=code, method=call.method, url=url)


def parse_response(call: Call, response: httpx.Response) -> Any:
    try:
        data = response.json() if response.content else None
    except ValueError:
        data = None
    if response.is_success:
        return data
    body: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
    message = body.get("message") or body.get("error") or f"The server answered HTTP {response.status_code}."
    raise DreamAPIError(
        str(message),
        status=response.status_code,
        code=str(body.get("code") or body.get("error") or f"http_{response.status_code}"),
        error=str(body.get("error") or ""),
        body=body,
        fields=body.get("fields") if isinstance(body.get("fields"), Mapping) else None,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        headers=dict(response.headers),
        method=call.method,
        url=str(response.request.url),
    )


def retry_delay(settings: Settings, response: httpx.Response, attempt: int) -> float | None:
    """Seconds to wait before retrying this answer, or None when it is final."""
    if response.status_code not in RETRY_STATUSES or attempt >= settings.max_retries:
        return None
    after = parse_retry_after(response.headers.get("Retry-After"))
    delay = backoff(attempt, settings.max_retry_delay) if after is None else after
    return delay if delay <= settings.max_retry_delay else None


class SyncTransport:
    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.Client(timeout=settings.timeout)

    def send(self, call: Call) -> Any:
        url, headers, query, content = build_request(self.settings, call)
        timeout = call.timeout or self.settings.timeout
        for attempt in range(self.settings.max_retries + 1):
            try:
                response = self.client.request(call.method, url, headers=headers, params=query, content=content,
                                               files=call.files, timeout=timeout)
            except httpx.TransportError as exc:
                if replay_safe(call) and attempt < self.settings.max_retries:
                    time.sleep(backoff(attempt, self.settings.max_retry_delay))
                    continue
                raise transport_error(call, url, exc) from exc
            delay = retry_delay(self.settings, response, attempt)
            if delay is None:
                return parse_response(call, response)
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self.client.close()


class AsyncTransport:
    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.AsyncClient(timeout=settings.timeout)

    async def send(self, call: Call) -> Any:
        url, headers, query, content = build_request(self.settings, call)
        timeout = call.timeout or self.settings.timeout
        for attempt in range(self.settings.max_retries + 1):
            try:
                response = await self.client.request(call.method, url, headers=headers, params=query,
                                                     content=content, files=call.files, timeout=timeout)
            except httpx.TransportError as exc:
                if replay_safe(call) and attempt < self.settings.max_retries:
                    await asyncio.sleep(backoff(attempt, self.settings.max_retry_delay))
                    continue
                raise transport_error(call, url, exc) from exc
            delay = retry_delay(self.settings, response, attempt)
            if delay is None:
                return parse_response(call, response)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        await self.client.aclose()
