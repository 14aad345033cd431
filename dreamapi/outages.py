"""When PostgreSQL or Redis is down: which errors mean that, and logging them without a flood.

A request that fails because a dependency is unreachable is answered 503
``dependency_unavailable`` with ``Retry-After`` (see ``pages.dependency_unavailable``). An
outage fails every request, so logging each one (with its traceback) would bury everything
else: ``report`` logs one line per dependency per ``LOG_INTERVAL_SECONDS`` per process, with
the number of failures it did not log since the previous line.
"""

from __future__ import annotations

import logging
import threading
import time

import redis.exceptions
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
LOG_INTERVAL_SECONDS = 30.0

# OperationalError covers a refused or dropped connection, and also a deadlock or a
# statement timeout: all are worth retrying, none is the client's fault.
_DEPENDENCY_ERRORS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((OperationalError, InterfaceError), "database"),
    ((redis.exceptions.ConnectionError, redis.exceptions.TimeoutError), "cache"),
)

_lock = threading.Lock()
_last_logged: dict[str, float] = {}
_unlogged: dict[str, int] = {}


def dependency_of(exc: BaseException) -> str | None:
    """The dependency ("database", "cache") whose outage ``exc`` is, or None."""
    for types, name in _DEPENDENCY_ERRORS:
        if isinstance(exc, types):
            return name
    return None


def report(dependency: str, exc: BaseException) -> None:
    """Log the failure unless this dependency's failure was logged less than an interval ago."""
    now = time.monotonic()
    with _lock:
        last = _last_logged.get(dependency)
        if last is not None and now - last < LOG_INTERVAL_SECONDS:
            _unlogged[dependency] = _unlogged.get(dependency, 0) + 1
            return
        _last_logged[dependency] = now
        unlogged = _unlogged.pop(dependency, 0)
    detail = " ".join(str(exc).split())[:300]  # psycopg's messages span several lines
    logger.error("%s unavailable, answering 503: %s: %s (%d more failure(s) since the last report)",
                 dependency, type(exc).__name__, detail, unlogged)


def reset() -> None:
    """Forget what was logged (tests)."""
    with _lock:
        _last_logged.clear()
        _unlogged.clear()
