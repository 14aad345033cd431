"""The rate limit's own Redis client (dreamapi.ratelimit): EVALSHA over one connection per
thread, EVAL when Redis has lost the script, fail open when Redis is down or slow."""

import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from dreamapi import ratelimit

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")


@pytest.fixture
def store(settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    ratelimit.reset_client()
    client = redis.Redis.from_url(settings.REDIS_URL)
    yield client
    client.close()


def scope() -> str:
    return f"test:{time.time_ns()}"


def test_hits_count_in_redis_and_set_the_windows_expiry(store):
    s = scope()
    results = [ratelimit.rate_limit_hit(scope=s, limit=2) for _ in range(3)]
    assert [r.allowed for r in results] == [True, True, False]
    assert [r.remaining for r in results] == [1, 0, 0]
    key = f"rl:{s}:{int(time.time()) // 60}"
    assert int(store.get(key)) == 3
    assert 0 < store.ttl(key) <= 61
    assert ratelimit.rate_limit_peek(scope=s, limit=5).remaining == 2  # reads, does not count
    assert int(store.get(key)) == 3


def test_after_script_flush_the_script_is_sent_again_and_counting_goes_on(store):
    s = scope()
    ratelimit.rate_limit_hit(scope=s, limit=10)
    store.script_flush()
    assert store.script_exists(ratelimit._HIT_SHA) == [False]
    assert ratelimit.rate_limit_hit(scope=s, limit=10).remaining == 8  # counted once, not refused, not failed open
    assert store.script_exists(ratelimit._HIT_SHA) == [True]
    assert ratelimit.rate_limit_hit(scope=s, limit=10).remaining == 7


def test_a_connection_closed_by_the_server_is_made_again_without_losing_the_hit(store):
    s = scope()
    ratelimit.rate_limit_hit(scope=s, limit=10)
    ours = ratelimit._local.connection
    ours.send_command("CLIENT", "ID")
    client_id = ours.read_response()
    store.client_kill_filter(_id=client_id)  # what a Redis restart does to it
    result = ratelimit.rate_limit_hit(scope=s, limit=10)
    assert result.enforced and result.remaining == 8
    assert int(store.get(f"rl:{s}:{int(time.time()) // 60}")) == 2


def test_each_thread_has_its_own_connection_and_concurrent_hits_count_exactly(store):
    s = scope()
    connections = set()

    def hit(_):
        result = ratelimit.rate_limit_hit(scope=s, limit=10_000)
        connections.add(id(ratelimit._local.connection))
        return result.remaining

    with ThreadPoolExecutor(max_workers=8) as pool:
        remaining = list(pool.map(hit, range(400)))
    assert sorted(remaining) == list(range(10_000 - 400, 10_000))  # every count seen exactly once
    assert 1 < len(connections) <= 8


def test_a_redis_that_does_not_answer_fails_open_quickly_and_is_left_alone_for_a_while(settings, caplog):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (the kernel does), never answers
    try:
        settings.REDIS_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        ratelimit.reset_client()
        started = time.monotonic()
        result = ratelimit.rate_limit_hit(scope=scope(), limit=1)
        assert time.monotonic() - started < 2
        assert result.allowed and not result.enforced and result.headers() == {}
        assert "rate limiting disabled" in caplog.text
        started = time.monotonic()
        assert not ratelimit.rate_limit_hit(scope=scope(), limit=1).enforced
        assert time.monotonic() - started < 0.05  # backing off: Redis is not asked
    finally:
        silent.close()


def test_a_forked_child_does_not_share_the_parents_connection(store):
    ratelimit.rate_limit_hit(scope=scope(), limit=10)
    parent = ratelimit._local.connection
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether it starts without a connection, then count
        try:
            fresh = getattr(ratelimit._local, "connection", None) is None
            ok = ratelimit.rate_limit_hit(scope=scope(), limit=10).enforced
            os.write(write, b"1" if fresh and ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    os.close(read)
    assert answer == b"1"
    assert ratelimit._local.connection is parent
    assert ratelimit.rate_limit_hit(scope=scope(), limit=10).enforced  # the parent's socket still works


def test_reset_client_closes_this_threads_connection(store):
    ratelimit.rate_limit_hit(scope=scope(), limit=10)
    connection = ratelimit._local.connection
    ratelimit.reset_client()
    assert connection._sock is None
    assert getattr(ratelimit._local, "connection", None) is None
