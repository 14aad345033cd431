"""In-process cache of verified API keys.

A key lookup costs a database round trip; the hot path cannot afford one per call. A
verified key is trusted for ``settings.API_KEY_CACHE_SECONDS`` (5 s by default), so a
revoked or regenerated key stops working on every server within that time (at once on
the server that revoked it). Only digests are held, never raw keys.

Unknown digests are remembered too ("negative" entries, same lifetime), so a client that
repeats a wrong key costs no lookup. Known and unknown keys live in two separate LRU pools:
a flood of random keys can only push out other unknown keys, never a valid one.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
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
    # The project's active publishable key in this mode ("" if it has none): shown in customer
    # objects and compared with an ``X-Publishable-Key`` sent beside a secret key.
    publishable_key: str = ""
    # Whether POST /api/data with the secret key creates an end user for an unknown external id.
    auto_create_end_users: bool = False


MAX_KNOWN = 10_000
MAX_UNKNOWN = 10_000

_lock = threading.Lock()
_known: OrderedDict[str, tuple[float, KeyContext]] = OrderedDict()
_unknown: OrderedDict[str, float] = OrderedDict()


def get(digest: str) -> tuple[bool, KeyContext | None]:
    """(hit, context); a hit with context None is a cached "unknown key"."""
    now = time.monotonic()
    entry = _known.get(digest)
    if entry is not None and entry[0] >= now:
        try:
            _known.move_to_end(digest)  # recently used; a concurrent forget() may have removed it
        except KeyError:
            pass
        return True, entry[1]
    expires = _unknown.get(digest)
    if expires is not None and expires >= now:
        return True, None
    return False, None


def put(digest: str, context: KeyContext | None) -> None:
    expires = time.monotonic() + settings.API_KEY_CACHE_SECONDS
    with _lock:
        if context is None:
            _unknown[digest] = expires
            _unknown.move_to_end(digest)
            while len(_unknown) > MAX_UNKNOWN:
                _unknown.popitem(last=False)
        else:
            _unknown.pop(digest, None)
            _known[digest] = (expires, context)
            _known.move_to_end(digest)
            while len(_known) > MAX_KNOWN:
                _known.popitem(last=False)


def forget(digest: str) -> None:
    with _lock:
        _known.pop(digest, None)
        _unknown.pop(digest, None)


def clear() -> None:
    with _lock:
        _known.clear()
        _unknown.clear()
