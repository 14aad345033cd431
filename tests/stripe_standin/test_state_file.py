"""``--state-file``: a restarted stand-in still has its objects, connected accounts and tokens
(so ``./dev run`` keeps the demo working across restarts)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import stripe

from stripe_standin import StandinServer

from .conftest import make_client


def _connect_through_oauth(server: StandinServer) -> str:
    form = {"client_id": "ca_demo", "redirect_uri": "http://localhost/cb", "scope": "read_write",
            "response_type": "code", "decision": "allow", "business_name": "Persisted shop"}
    location = requests.post(f"{server.url}/oauth/authorize", data=form, allow_redirects=False).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    token = make_client(server, client_id="ca_demo").oauth.token(params={"grant_type": "authorization_code",
                                                                         "code": code})
    return str(token["stripe_user_id"])


def test_objects_and_connected_accounts_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "var" / "standin.json"
    first = StandinServer(port=0, quiet=True, state_file=str(state)).start()
    client = make_client(first)
    account = _connect_through_oauth(first)
    options: dict = {"stripe_account": account}
    price = client.v1.prices.create(params={"product_data": {"name": "Pro"}, "unit_amount": 900, "currency": "usd",
                                            "recurring": {"interval": "month"}}, options=options)  # type: ignore[arg-type]
    customer = client.v1.customers.create(params={"email": "kept@example.com"}, options={
        **options, "idempotency_key": "customer-1"})  # type: ignore[arg-type]
    first.advance_clock(3600)
    first.stop()
    assert state.exists()

    second = StandinServer(port=0, quiet=True, state_file=str(state)).start()
    try:
        client = make_client(second)
        assert client.v1.prices.retrieve(price.id, options=options).unit_amount == 900  # type: ignore[arg-type]
        assert client.v1.accounts.retrieve(account).settings.dashboard.display_name == "Persisted shop"
        # The idempotency record survived too: the same request replays the same customer.
        again = client.v1.customers.create(params={"email": "kept@example.com"}, options={
            **options, "idempotency_key": "customer-1"})  # type: ignore[arg-type]
        assert again.id == customer.id
        assert second.store.clock_offset == 3600
        # New ids never collide with the old ones' order: lists stay newest first.
        newer = client.v1.customers.create(params={"email": "new@example.com"}, options=options)  # type: ignore[arg-type]
        assert [c.id for c in client.v1.customers.list(options=options).data] == [newer.id, customer.id]  # type: ignore[arg-type]
    finally:
        second.stop()


def test_the_command_line_keeps_its_state_across_a_restart(tmp_path: Path) -> None:
    """As ./dev run uses it: a process with --state-file, stopped with a signal, started again."""
    state = tmp_path / "standin.json"

    def start() -> tuple[subprocess.Popen, str]:
        with socket_port() as port:
            pass
        process = subprocess.Popen([sys.executable, "-m", "stripe_standin", "--port", str(port), "--quiet",
                                    "--state-file", str(state)], cwd=Path(__file__).resolve().parents[2])
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(f"{url}/_standin/clock", timeout=1)
                return process, url
            except requests.ConnectionError:
                time.sleep(0.1)
        process.kill()
        pytest.fail("the stand-in did not start")

    process, url = start()
    try:
        client = stripe.StripeClient("sk_test_cli", base_addresses={"api": url}, max_network_retries=0)
        account = client.v1.accounts.create(params={"type": "standard"}).id
        product = client.v1.products.create(params={"name": "Kept"}, options={"stripe_account": account})
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert json.loads(state.read_text())["format"] == 1
    process, url = start()
    try:
        client = stripe.StripeClient("sk_test_cli", base_addresses={"api": url}, max_network_retries=0)
        assert client.v1.products.retrieve(product.id, options={"stripe_account": account}).name == "Kept"
    finally:
        process.terminate()
        process.wait(timeout=10)


class socket_port:
    """A free TCP port (closed again before the stand-in binds it)."""

    def __enter__(self) -> int:
        import socket

        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        return self._socket.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self._socket.close()
