"""In-process cache of verified API keys.

A key lookup costs a database round trip; the hot path cannot afford one per call. A
verified key is trusted for ``settings.API_KEY_CACHE_SECONDS`` (5 s by default), so a
revoked or regenerated key stops working on every server within that time (at once on
the server that revoked it). Only digests are held, never raw keys.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class KeyContext:
    """What a verified key tells a request: which project, which mode, which kind of key."""

    key_id: int
    kind: str
    mode: str
    project_id: int
    project_public_id: str
    platform_id: int
    platform_public_id: str
    platform_paid: bool
    rate_limit_per_minute: int
    key_rate_limit_per_minute: int | None
    allowed_origins: tuple[str, ...]


_lock = threading.Lock()
_entries: dict[str, tuple[float, KeyContext | None]] = {}
_MAX_ENTRIES = 10_000


def get(digest: str) -> tuple[bool, KeyContext | None]:
    """(hit, context); a hit with context None is a cached "unknown key"."""
    entry = _entries.get(digest)
    if entry is None or entry[0] < time.monotonic():
        return False, None
    return True, entry[1]


def put(digest: str, context: KeyContext | None) -> None:
    with _lock:
        if len(_entries) >= _MAX_ENTRIES:
            _entries.clear()
        _entries[digest] = (time.monotonic() + settings.API_KEY_CACHE_SECONDS, context)


def forget(digest: str) -> None:
    with _lock:
        _entries.pop(digest, None)


def clear() -> None:
    with _lock:
        _entries.clear()
