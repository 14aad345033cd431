"""The rate limit reads Redis's replies itself (dreamapi.ratelimit._read_reply): whole replies
however the bytes arrive, Redis's errors as redis-py's exceptions, and a connection that
failed mid-reply dropped, so a late reply is never taken for the answer to the next command."""

import socket
import threading
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import InvalidResponse, NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from dreamapi.ratelimit import _read_reply


class Connection:
    """What ``_read_reply`` uses of a redis-py connection: its socket, and disconnect()."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.disconnected = False

    def disconnect(self) -> None:
        self.disconnected = True


@pytest.fixture
def pair():
    ours, server = socket.socketpair()
    ours.settimeout(1)
    yield Connection(ours), server
    ours.close()
    server.close()


def send_in_pieces(server: socket.socket, *pieces: bytes) -> threading.Thread:
    def run():
        for piece in pieces:
            server.sendall(piece)
            time.sleep(0.02)  # each piece its own recv
    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("pieces, reply", [
    ((b":1\r\n",), 1),
    ((b":12", b"3", b"\r", b"\n"), 123),
    ((b"$3\r\n12", b"3\r\n"), b"123"),
    ((b"$", b"-1\r\n"), None),  # RESP2's null
    ((b"_\r", b"\n"), None),  # RESP3's null (redis-py's default protocol)
    ((b"$0\r\n\r\n",), b""),
    ((b"+OK\r", b"\n"), b"OK"),
])
def test_a_reply_is_read_whole_however_it_arrives(pair, pieces, reply):
    connection, server = pair
    thread = send_in_pieces(server, *pieces)
    assert _read_reply(connection) == reply
    thread.join()
    assert not connection.disconnected


def test_errors_come_out_as_redis_pys_exceptions_and_keep_the_connection(pair):
    connection, server = pair
    server.sendall(b"-NOSCRIPT No matching script. Please use EVAL.\r\n")
    with pytest.raises(NoScriptError):
        _read_reply(connection)
    server.sendall(b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        _read_reply(connection)
    server.sendall(b"!21\r\nSYNTAX invalid syntax\r\n")  # RESP3's error as a bulk string
    with pytest.raises(ResponseError, match="SYNTAX"):
        _read_reply(connection)
    assert not connection.disconnected  # each error was a whole reply: the connection is in step
    server.sendall(b":5\r\n")
    assert _read_reply(connection) == 5


def test_a_reply_that_does_not_come_in_time_drops_the_connection(pair):
    connection, server = pair
    connection._sock.settimeout(0.05)
    server.sendall(b":4")  # the rest never comes in time
    with pytest.raises(RedisTimeoutError):
        _read_reply(connection)
    assert connection.disconnected


def test_a_connection_closed_mid_reply_is_a_connection_error_and_dropped(pair):
    connection, server = pair
    server.sendall(b"$5\r\nab")
    server.shutdown(socket.SHUT_WR)
    with pytest.raises(RedisConnectionError):
        _read_reply(connection)
    assert connection.disconnected


def test_garbage_drops_the_connection(pair):
    connection, server = pair
    server.sendall(b"?what\r\n")
    with pytest.raises(InvalidResponse):
        _read_reply(connection)
    assert connection.disconnected
