"""HTTP front door: routing by prefix, API-key auth, Stripe-Account, idempotency.

=============================  ==============================================
``/v1/...``                    the Stripe REST subset (:mod:`api`)
``/oauth/...``                 Connect OAuth (:mod:`oauth`)
``/checkout/``, ``/portal/``,  hosted pages (:mod:`pages`)
``/invoice/``, ``/``
``/_standin/...``              control API for tests and demos (:mod:`control`)
=============================  ==============================================
"""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import time
import traceback
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping, TextIO, Union
from urllib.parse import parse_qsl, urlsplit

from . import api, billing, control, forms, oauth, pages, portal, schedules  # noqa: F401  (they register routes)
from .errors import OAuthError, StripeError
from .responses import Response, json_response
from .store import DEFAULT_PLATFORM_ACCOUNT_ID, Config, IdempotentResult, Store
from .webhooks import Dispatcher

# http.server gives an email.message.Message; tests and callers may pass a plain dict.
Headers = Union[Mapping[str, str], Message]

_SECRET_KEY = re.compile(r"^(sk|rk)_(test|live)_[A-Za-z0-9_]+$")
MAX_IDEMPOTENCY_KEY_LENGTH = 255


class App:
    """Request handling independent of the socket layer (easy to reason about and test)."""

    def __init__(self, store: Store, dispatcher: Dispatcher) -> None:
        self.store = store
        self.dispatcher = dispatcher

    def handle(self, method: str, path: str, query: str, headers: Headers, body: bytes) -> Response:
        response = self._route(method, path, query, headers, body)
        if method != "GET":
            self.store.persist()
        return response

    def _route(self, method: str, path: str, query: str, headers: Headers, body: bytes) -> Response:
        if path.startswith("/v1/"):
            return self.api(method, path, query, headers, body)
        if path.startswith("/_standin/"):
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                return json_response(400, {"error": "The control API expects a JSON body."})
            if not isinstance(payload, dict):
                return json_response(400, {"error": "The control API expects a JSON object."})
            return control.handle(self.store, self.dispatcher, method, path, payload)
        if path in ("/oauth/token", "/oauth/deauthorize"):
            return self.oauth_api(method, path, headers, body)
        if path in ("/oauth/authorize", "/express/oauth/authorize"):
            if method == "GET":
                return oauth.authorize_page(dict(parse_qsl(query, keep_blank_values=True)))
            if method == "POST":
                return oauth.authorize_decision(self.store, self._form(body))
        return self.page(method, path, body)

    # -- /v1 ------------------------------------------------------------------------------

    def api(self, method: str, path: str, query: str, headers: Headers, body: bytes) -> Response:
        store = self.store
        request_id = store.new_id("req_", 14)
        out_headers = {"Request-Id": request_id,
                       "Stripe-Version": headers.get("Stripe-Version") or store.config.api_version}
        with store.lock:
            store.request_log.append({"method": method, "path": path, "account": headers.get("Stripe-Account")})
        try:
            api_key, livemode, key_account = self._authenticate(headers)
            with store.lock:
                account = self._namespace(api_key, key_account, headers.get("Stripe-Account"))
            if method == "POST" and "json" in (headers.get("Content-Type") or ""):
                raise StripeError(400, "Invalid request: send application/x-www-form-urlencoded parameters, "
                                       "as Stripe's v1 API expects.")
            raw = forms.decode(query)
            if method == "POST":
                raw.update(forms.decode(body.decode("utf-8", "replace")))
            idempotency_key = headers.get("Idempotency-Key") if method == "POST" else None
            if idempotency_key is not None and len(idempotency_key) > MAX_IDEMPOTENCY_KEY_LENGTH:
                # Stripe's documented limit; the wording of this message is the stand-in's own.
                raise StripeError(400, f"Invalid Idempotency-Key: keys can be at most {MAX_IDEMPOTENCY_KEY_LENGTH} "
                                       f"characters long (this one has {len(idempotency_key)}).")
            with store.lock:
                cache_key = (account, livemode, idempotency_key)
                fingerprint = (method, path, json.dumps(raw, sort_keys=True))
                if idempotency_key:
                    out_headers["Idempotency-Key"] = idempotency_key
                    cached = store.idempotency.get(cache_key)
                    if cached is not None:
                        if cached.fingerprint != fingerprint:
                            raise StripeError(
                                400,
                                "Keys for idempotent requests can only be used with the same parameters they "
                                f"were first used with. Try using a key other than '{idempotency_key}' if you "
                                "meant to execute a different request.",
                                type="idempotency_error",
                            )
                        return Response(cached.status, cached.body, "application/json",
                                        {**out_headers, "Idempotent-Replayed": "true"})
                ctx = api.Ctx(store=store, api_key=api_key, account=account, livemode=livemode, method=method,
                              path=path, raw_params=raw, request_id=request_id, idempotency_key=idempotency_key)
                response = json_response(200, api.dispatch(ctx), out_headers)
                if idempotency_key:
                    # Only successful results are saved: a request refused during validation may be
                    # retried with the same key (Stripe does the same).
                    store.idempotency[cache_key] = IdempotentResult(fingerprint, response.status, response.body)
                return response
        except StripeError as exc:
            return json_response(exc.status, exc.body(request_id), {**out_headers, "Stripe-Should-Retry": "false"})

    def _authenticate(self, headers: Headers) -> tuple[str, bool, str | None]:
        """-> (api key, livemode, connected account the key belongs to or None)."""
        auth = (headers.get("Authorization") or "").strip()
        if not auth:
            raise StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization header, "
                "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
                "https://stripe.com/docs/api#authentication for details, or we can help at "
                "https://support.stripe.com/.",
            )
        if auth.lower().startswith("bearer "):
            key = auth[7:].strip()
        elif auth.lower().startswith("basic "):
            try:
                key = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
            except ValueError:
                key = ""
        else:
            key = auth
        with self.store.lock:
            if key in self.store.access_tokens:
                owner = self.store.access_tokens[key]
                return key, key.startswith("sk_live_"), owner
            revoked = key in self.store.revoked_tokens
        if key.startswith("pk_"):
            raise StripeError(401, "This API call cannot be made with a publishable API key. Please use a secret "
                                   "API key. You can find a list of your API keys at "
                                   "https://dashboard.stripe.com/account/apikeys.")
        if revoked or not _SECRET_KEY.match(key):
            raise StripeError(401, f"Invalid API Key provided: {api.masked(key)}")
        return key, key.startswith(("sk_live_", "rk_live_")), None

    def _namespace(self, api_key: str, key_account: str | None, header: str | None) -> str | None:
        """The account whose objects this request sees (None = platform)."""
        header = (header or "").strip() or None
        if key_account is not None:  # an OAuth access token acts as its own account
            if header and header != key_account:
                raise api.no_access(api_key, header)
            return key_account
        if header is None or header == self.store.platform_account_id:
            return None
        state = self.store.active_account(header)
        if state is None or not state.connected:
            raise api.no_access(api_key, header)
        return header

    # -- /oauth/token and /oauth/deauthorize ---------------------------------------------------

    def oauth_api(self, method: str, path: str, headers: Headers, body: bytes) -> Response:
        try:
            if method != "POST":
                raise OAuthError(404, "invalid_request", f"Unrecognized request URL ({method}: {path}).")
            form = self._form(body)
            if "client_secret" in form and not (headers.get("Authorization") or "").strip():
                headers = {**dict(headers), "Authorization": f"Bearer {form.pop('client_secret')}"}
            try:
                api_key, livemode, key_account = self._authenticate(headers)
            except StripeError as exc:
                raise OAuthError(401, "invalid_client", exc.message) from None
            if key_account is not None:
                raise OAuthError(401, "invalid_client", "OAuth requests must use the platform's secret key.")
            with self.store.lock:
                if path == "/oauth/token":
                    return json_response(200, oauth.token(self.store, livemode, form))
                return json_response(200, oauth.deauthorize(self.store, livemode, form))
        except OAuthError as exc:
            return json_response(exc.status, exc.body())

    # -- hosted pages ---------------------------------------------------------------------------------

    def page(self, method: str, path: str, body: bytes) -> Response:
        store = self.store
        parts = [p for p in path.split("/") if p]
        with store.lock:
            if method == "GET" and not parts:
                return pages.index_page(store)
            if parts[:1] == ["checkout"] and len(parts) == 2 and method == "GET":
                rec = store.record(parts[1])
                if rec is None or rec.obj.get("object") != "checkout.session":
                    return pages.message_page(404, "Not found", "This Checkout Session does not exist.")
                billing.expire_if_due(store, rec)
                return pages.checkout_page(store, rec.obj)
            if parts[:1] == ["checkout"] and len(parts) == 3 and parts[2] == "pay" and method == "POST":
                return pages.pay_checkout(store, parts[1], self._form(body))
            if parts[:1] == ["portal"] and len(parts) == 2 and method == "GET":
                return pages.portal_page(store, parts[1])
            if parts[:1] == ["portal"] and len(parts) == 3 and parts[2] == "payment_method" and method == "POST":
                return pages.add_card(store, parts[1])
            if parts[:1] == ["portal"] and len(parts) == 5 and parts[2] == "subscriptions" and method == "POST":
                return pages.portal_action(store, parts[1], parts[3], parts[4], self._form(body))
            if parts[:1] == ["invoice"] and len(parts) == 2 and method == "GET":
                return pages.invoice_page(store, parts[1])
        return pages.message_page(404, "Not found", f"Nothing here: {method} {path}")

    @staticmethod
    def _form(body: bytes) -> dict[str, Any]:
        try:
            return forms.decode(body.decode("utf-8", "replace"))
        except StripeError:
            return {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: stripe-python reuses connections
    disable_nagle_algorithm = True  # headers and body go out in separate writes; avoid 40 ms stalls
    server: "_HTTPServer"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        started = time.monotonic()
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            response = self.server.app.handle(method, url.path, url.query, self.headers, body)
        except Exception:  # a bug here must not kill the connection silently
            self.server.log(traceback.format_exc())
            response = json_response(500, {"error": {"type": "api_error",
                                                     "message": "The Stripe stand-in hit an internal error."}},
                                     {"Stripe-Should-Retry": "false"})
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)
        elapsed = (time.monotonic() - started) * 1000
        self.server.log(f"{method} {url.path} {response.status} {elapsed:.0f}ms")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        pass  # we log one line per request ourselves


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    app: App
    log: Callable[[str], None]


class StandinServer:
    """The stand-in as an object: ``StandinServer(port=0).start()`` serves in a daemon thread.

    >>> server = StandinServer(port=0, quiet=True).start()
    >>> client = stripe.StripeClient("sk_test_123", base_addresses={"api": server.url, "connect": server.url})
    >>> server.stop()
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 12111,
        *,
        public_base: str | None = None,
        connect_webhook_url: str | None = None,
        connect_webhook_secret: str | None = None,
        platform_webhook_url: str | None = None,
        platform_webhook_secret: str | None = None,
        platform_account_id: str = DEFAULT_PLATFORM_ACCOUNT_ID,
        webhook_retry_delays: tuple[float, ...] | None = None,
        quiet: bool = False,
        log_stream: TextIO | None = None,
        state_file: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._public_base = public_base
        self.quiet = quiet
        self._log_stream = log_stream
        config = Config(
            connect_webhook_url=connect_webhook_url, connect_webhook_secret=connect_webhook_secret,
            platform_webhook_url=platform_webhook_url, platform_webhook_secret=platform_webhook_secret,
        )
        if webhook_retry_delays is not None:
            config.webhook_retry_delays = tuple(webhook_retry_delays)
        # With a state file, data (objects, connected accounts, tokens, the clock) survives a restart.
        self.store = Store(config, platform_account_id, state_file=state_file)
        self.dispatcher = Dispatcher(self.store, self.log)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def log(self, line: str) -> None:
        if not self.quiet:
            print(f"[stripe-standin] {line}", file=self._log_stream or sys.stderr, flush=True)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "StandinServer":
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.app = App(self.store, self.dispatcher)
        httpd.log = self.log
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self.store.config.public_base = (self._public_base or self.url).rstrip("/")
        self.dispatcher.start()
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="stripe-standin-http", daemon=True)
        self._thread.start()
        self.log(f"listening on {self.url} (public base {self.store.config.public_base})")
        return self

    def serve_forever(self) -> None:
        """Start and block (for the CLI) until interrupted."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        self.dispatcher.stop()
        self.store.persist()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "StandinServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}"

    # -- conveniences for tests (same operations as the control API) --------------------------

    @property
    def platform_account_id(self) -> str:
        return self.store.platform_account_id

    def configure(self, **values: Any) -> None:
        control.configure(self.store, values)

    def reset(self) -> None:
        self.store.reset()

    def advance_clock(self, seconds: int) -> list[str]:
        return control.advance_clock(self.store, seconds)

    def hold_webhooks(self, hold: bool = True) -> None:
        self.dispatcher.set_hold(hold)

    def flush_webhooks(self, order: str = "normal", duplicate: bool = False) -> list[dict[str, Any]]:
        return self.dispatcher.flush(order=order, duplicate=duplicate)

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        return self.dispatcher.wait_idle(timeout)

    def webhook_status(self) -> dict[str, Any]:
        return control.webhook_status(self.store)

    def fail_payment(self, subscription_id: str, *, authentication_required: bool = False) -> dict[str, Any]:
        return control.fail_payment(self.store, subscription_id, authentication_required=authentication_required)

    def pause_subscription(self, subscription_id: str) -> dict[str, Any]:
        return control.pause(self.store, subscription_id)

    def account_owner(self, account_id: str, action: str = "", **body: Any) -> dict[str, Any]:
        """Act as the connected account's owner in their Dashboard: ``action`` is ``""`` (with
        ``onboarding_complete=``), ``"/deauthorize"`` or ``"/portal_default"``."""
        return control.account_action(self.store, account_id, action, body)

    def requests(self) -> list[dict[str, Any]]:
        """The /v1 requests received since the last reset: ``{"method", "path", "account"}``, oldest first."""
        with self.store.lock:
            return [dict(entry) for entry in self.store.request_log]
