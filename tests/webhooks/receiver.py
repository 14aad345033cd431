"""A real HTTPS receiver on loopback, with a certificate from a throwaway CA, reached under a
public-looking name (safehttp's loopback switch is on for these tests only)."""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dreamapi import safehttp
from tests.dreamapi.test_safehttp import _certificates

HOST = "hooks.example.test"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next of ``statuses`` (the last one repeats)."""

    port: int = 0
    statuses: list[int] = field(default_factory=lambda: [200])
    answer: bytes = b'{"received": true}'
    requests: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.port}/dream-webhooks"

    def status(self) -> int:
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@pytest.fixture
def receiver(tmp_path, settings, monkeypatch):
    settings.SAFEHTTP_ALLOW_LOOPBACK = True
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        return real("127.0.0.1" if host == HOST else host, port, *args, **kwargs)

    monkeypatch.setattr(safehttp.socket, "getaddrinfo", resolver)
    ca_file, cert_file, key_file = _certificates(tmp_path, HOST)
    monkeypatch.setattr(safehttp.certifi, "where", lambda: str(ca_file))
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                state.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status = state.status()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.answer)))
            self.end_headers()
            self.wfile.write(state.answer)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()
