"""Fixtures for the stand-in's tests: one server per session, reset before each test,
a stripe-python client pointed at it, and a tiny webhook receiver."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest
import stripe

from stripe_standin import StandinServer

CONNECT_SECRET = "whsec_connect_test_secret"
PLATFORM_SECRET = "whsec_platform_test_secret"
API_KEY = "sk_test_standin_tests"


class WebhookReceiver:
    """Collects POSTed webhooks; ``status`` chooses what it answers."""

    def __init__(self) -> None:
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    status = receiver.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.status = 200

    def events(self, path: str | None = None) -> list[dict[str, Any]]:
        """Parsed event bodies received (optionally only on one path), in arrival order."""
        with self._lock:
            return [json.loads(r["body"]) for r in self.requests if path is None or r["path"] == path]

    def types(self, path: str | None = None) -> list[str]:
        return [e["type"] for e in self.events(path)]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def receiver() -> Iterator[WebhookReceiver]:
    rec = WebhookReceiver()
    yield rec
    rec.stop()


@pytest.fixture(scope="session")
def _server(receiver: WebhookReceiver) -> Iterator[StandinServer]:
    server = StandinServer(
        port=0, quiet=True,
        connect_webhook_url=receiver.url + "/connect", connect_webhook_secret=CONNECT_SECRET,
        platform_webhook_url=receiver.url + "/platform", platform_webhook_secret=PLATFORM_SECRET,
        webhook_retry_delays=(0.05, 0.05),
    ).start()
    yield server
    server.stop()


@pytest.fixture
def standin(_server: StandinServer, receiver: WebhookReceiver) -> StandinServer:
    """The running stand-in with empty state and the default webhook setup."""
    _server.wait_for_webhooks(5)
    _server.hold_webhooks(False)
    _server.reset()
    _server.configure(
        public_base=_server.url,
        connect_webhook_url=receiver.url + "/connect", connect_webhook_secret=CONNECT_SECRET,
        platform_webhook_url=receiver.url + "/platform", platform_webhook_secret=PLATFORM_SECRET,
        webhook_retry_delays=[0.05, 0.05],
    )
    receiver.clear()
    return _server


@pytest.fixture
def client(standin: StandinServer) -> stripe.StripeClient:
    return make_client(standin)


def make_client(server: StandinServer, api_key: str = API_KEY, **kwargs: Any) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key, base_addresses={"api": server.url, "connect": server.url}, max_network_retries=0, **kwargs,
    )


@pytest.fixture
def connected_account(client: stripe.StripeClient) -> str:
    """A connected Standard account (created directly, without the OAuth dance)."""
    return client.v1.accounts.create(params={"type": "standard", "email": "shop@example.com",
                                             "business_profile": {"name": "Shop A"}}).id


def wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)
