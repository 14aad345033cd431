"""Fixed-window rate limits counted atomically in Redis (or the local cache without Redis).

Decision for a Redis outage: rate limits *fail open*. A call is let through (and a warning
logged) rather than refused, because refusing every API call of every developer when the
cache is down would be an outage of its own. Usage limits are not affected: they live in
the database. After a failure Redis is not asked again for ``_BACKOFF_SECONDS``, so an
outage does not add a connect timeout to every request.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import InvalidResponse, NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .errors import ApiError

logger = logging.getLogger(__name__)

_BACKOFF_SECONDS = 5.0
_SOCKET_TIMEOUT = 0.2
_pool_lock = threading.Lock()
_pool = None
_local = threading.local()  # .connection: this thread's own Redis connection
_down_until = 0.0

# INCR, and set the window's expiry on its first hit: one command, atomic in Redis.
# (A pipeline of INCR + EXPIRE NX cost about twice as much per call in redis-py.)
_HIT_LUA = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_HIT_SHA = hashlib.sha1(_HIT_LUA.encode()).hexdigest()
# EVALSHA <sha> 1 <key> <ttl>, packed once: only the key and the TTL change per call.
_EVALSHA_HEAD = f"*5\r\n$7\r\nEVALSHA\r\n$40\r\n{_HIT_SHA}\r\n$1\r\n1\r\n".encode()


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # unix seconds when the window ends
    enforced: bool = True

    @property
    def retry_after(self) -> int:
        return max(1, self.reset_at - int(time.time()))

    def headers(self) -> dict[str, str]:
        if not self.enforced:
            return {}
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }


class RateLimited(ApiError):
    """429 with ``Retry-After``: the one error every rate limit raises (API, hosted pages, keys)."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int, code: str = "rate_limited",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message, code=code, title="Too many requests",
                         headers={**(headers or {}), "Retry-After": str(retry_after)})
        self.retry_after = retry_after


def _connection():
    """This thread's Redis connection (made on first use; redis-py connects, authenticates and
    selects the database, and pings it first after 30 s idle). One per thread, none shared:
    no pool lock on the hot path. A forked child makes its own (see ``reset_client``)."""
    global _pool
    connection = getattr(_local, "connection", None)
    if connection is None:
        if _pool is None:
            with _pool_lock:
                if _pool is None:
                    import redis

                    _pool = redis.ConnectionPool.from_url(
                        settings.REDIS_URL, socket_connect_timeout=_SOCKET_TIMEOUT, socket_timeout=_SOCKET_TIMEOUT,
                        health_check_interval=30,
                    )
        connection = _local.connection = _pool.make_connection()
    return connection


def _exchange(packed: bytes) -> Any:
    """Send one packed command and read its answer. A connection the server closed while it
    sat idle (Redis restarted) is made again and the command sent once more; a timeout is not
    retried (the command may have run)."""
    connection = _connection()
    try:
        connection.send_packed_command((packed,))
        return _read_reply(connection)
    except RedisTimeoutError:
        raise
    except RedisConnectionError:
        connection.disconnect()
        connection.send_packed_command((packed,))
        return _read_reply(connection)


_INCOMPLETE = object()


def _parse_reply(buffer: bytes) -> Any:
    """The reply in ``buffer``, ``_INCOMPLETE`` while more is to come: what our commands get in
    RESP2 or RESP3 (redis-py's default): an integer, a bulk or simple string, a null, or an
    error, raised as redis-py raises it."""
    line_end = buffer.find(b"\r\n")
    if line_end < 0:
        return _INCOMPLETE
    kind, line = buffer[:1], buffer[1:line_end]
    if kind == b":":
        return int(line)
    if kind in (b"$", b"!"):  # a bulk string; "!": an error as a bulk string (RESP3)
        length = int(line)
        if length < 0:
            return None  # RESP2's null
        body_end = line_end + 2 + length
        if len(buffer) < body_end + 2:
            return _INCOMPLETE
        if kind == b"$":
            return buffer[line_end + 2:body_end]
        line = buffer[line_end + 2:body_end]
    elif kind == b"+":
        return line
    elif kind == b"_":
        return None  # RESP3's null
    elif kind != b"-":
        raise InvalidResponse(f"unexpected reply from Redis: {buffer[:40]!r}")
    message = line.decode(errors="replace")
    raise NoScriptError(message) if message.startswith("NOSCRIPT") else ResponseError(message)


def _read_reply(connection) -> Any:
    """The reply to the command just sent, read straight from the connection's socket: the
    replies our commands get are a few bytes, and redis-py's parser layer cost as much CPU as
    the rest of the round trip. Its parser's buffer stays empty (every reply is read whole
    before the next command goes out); on any failure the connection is dropped, so a late
    reply can never be read as the answer to another command."""
    sock = connection._sock
    buffer = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                raise RedisConnectionError("Redis closed the connection.")
            buffer += chunk
            reply = _parse_reply(buffer)
            if reply is not _INCOMPLETE:
                return reply
    except (NoScriptError, ResponseError):
        raise  # a whole reply was read: the connection is in step
    except TimeoutError as exc:  # socket.timeout
        connection.disconnect()
        raise RedisTimeoutError("Timeout reading from Redis") from exc
    except OSError as exc:
        connection.disconnect()
        raise RedisConnectionError(f"Error while reading from Redis: {exc}") from exc
    except BaseException:
        connection.disconnect()
        raise


def _hit(key: str, ttl: int) -> int:
    """``_HIT_LUA`` on the key: EVALSHA, and EVAL (which caches the script) when Redis answers
    NOSCRIPT, e.g. after a restart or SCRIPT FLUSH. Commands packed by hand: the redis-py
    client's command layer cost more than the round trip itself."""
    key_bytes, ttl_bytes = key.encode(), str(ttl).encode()
    tail = b"$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key_bytes), key_bytes, len(ttl_bytes), ttl_bytes)
    try:
        return int(_exchange(_EVALSHA_HEAD + tail))
    except NoScriptError:
        return int(_exchange(b"".join(_connection().pack_command("EVAL", _HIT_LUA, 1, key, ttl))))


def round_trip() -> bool:
    """One ``PING`` on this thread's connection, as a hit is sent and read (bench/: the cost of
    the round trip alone). False without Redis or when it does not answer."""
    if not settings.REDIS_URL:
        return False
    try:
        return _exchange(b"*1\r\n$4\r\nPING\r\n") == b"PONG"
    except Exception:
        return False


def reset_client() -> None:
    """Forget the Redis connections and any back-off (settings changed, e.g. in tests; a fork)."""
    global _pool, _local, _down_until
    connection = getattr(_local, "connection", None)
    if connection is not None:
        connection.disconnect()
    _pool = None
    _local = threading.local()
    _down_until = 0.0


# A worker forked from a process that used Redis (gunicorn --preload) must not share its socket.
os.register_at_fork(after_in_child=reset_client)


def _count(key: str, window: int) -> int | None:
    """Increment and return the window's counter; None when the store is unreachable."""
    global _down_until
    if not settings.REDIS_URL:
        cache.add(key, 0, timeout=window + 1)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 1)
            return 1
    if time.monotonic() < _down_until:
        return None
    try:
        return _hit(key, window + 1)
    except Exception as exc:  # any Redis failure: fail open, see module docstring
        _down_until = time.monotonic() + _BACKOFF_SECONDS
        logger.warning("rate limiting disabled for %.0fs: Redis unavailable (%s)", _BACKOFF_SECONDS, exc)
        return None


def _peek(key: str) -> int | None:
    """The window's counter without changing it; None when the store is unreachable."""
    global _down_until
    if not settings.REDIS_URL:
        return int(cache.get(key) or 0)
    if time.monotonic() < _down_until:
        return None
    try:
        return int(_exchange(b"".join(_connection().pack_command("GET", key))) or 0)
    except Exception as exc:  # any Redis failure: fail open, see module docstring
        _down_until = time.monotonic() + _BACKOFF_SECONDS
        logger.warning("rate limiting disabled for %.0fs: Redis unavailable (%s)", _BACKOFF_SECONDS, exc)
        return None


def _result(count: int | None, *, limit: int, reset_at: int, allowed: bool) -> RateLimitResult:
    if count is None:
        return RateLimitResult(allowed=True, limit=limit, remaining=limit, reset_at=reset_at, enforced=False)
    return RateLimitResult(allowed=allowed, limit=limit, remaining=max(limit - count, 0), reset_at=reset_at)


def rate_limit_hit(*, scope: str, limit: int, window: int = 60) -> RateLimitResult:
    """Count one hit in the current window; allowed while the count stays within ``limit``."""
    now = int(time.time())
    bucket = now // window
    count = _count(f"rl:{scope}:{bucket}", window)
    return _result(count, limit=limit, reset_at=(bucket + 1) * window, allowed=count is None or count <= limit)


def rate_limit_peek(*, scope: str, limit: int, window: int = 60) -> RateLimitResult:
    """The current window's state without counting a hit: for limits on failures only.

    The caller peeks before doing the work and counts (``rate_limit_hit``) only when it
    failed; ``allowed`` is false once ``limit`` failures are counted in the window.
    """
    now = int(time.time())
    bucket = now // window
    count = _peek(f"rl:{scope}:{bucket}")
    return _result(count, limit=limit, reset_at=(bucket + 1) * window, allowed=count is None or count < limit)
