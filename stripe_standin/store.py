"""All mutable state of the stand-in, guarded by one re-entrant lock.

Every object (products, prices, events, ...) is a plain JSON-ready dict kept
in a :class:`Record` that remembers which account namespace it lives in
(``None`` = the platform account) and whether it was created in live mode.
HTTP handlers, hosted pages, the control API and the webhook dispatcher all
take ``store.lock`` before touching anything here; the dispatcher releases it
while it waits on the network.
"""

from __future__ import annotations

import base64
import collections
import copy
import json
import os
import secrets
import string
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable

from .errors import StripeError, resource_missing

# The version stripe-python 15.6 sends; events are stamped with it.
API_VERSION = "2026-08-26.dahlia"
DEFAULT_PLATFORM_ACCOUNT_ID = "acct_1StandinPlatform"

_ALPHABET = string.ascii_letters + string.digits


@dataclass
class Config:
    """Settings that survive ``/_standin/reset`` (they describe the setup, not the data)."""

    public_base: str = "http://127.0.0.1:12111"
    connect_webhook_url: str | None = None
    connect_webhook_secret: str | None = None
    platform_webhook_url: str | None = None
    platform_webhook_secret: str | None = None
    api_version: str = API_VERSION
    # Pause before each retry of a failed delivery (so 1 + len(...) attempts).
    webhook_retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0)
    webhook_timeout: float = 5.0

    def public(self) -> dict[str, Any]:
        return {
            "public_base": self.public_base,
            "connect_webhook_url": self.connect_webhook_url,
            "connect_webhook_secret": self.connect_webhook_secret,
            "platform_webhook_url": self.platform_webhook_url,
            "platform_webhook_secret": self.platform_webhook_secret,
            "api_version": self.api_version,
            "webhook_retry_delays": list(self.webhook_retry_delays),
            "webhook_timeout": self.webhook_timeout,
        }


@dataclass
class Record:
    obj: dict[str, Any]
    account: str | None
    livemode: bool
    seq: int
    deleted: bool = False


@dataclass
class AccountState:
    """An account the platform can act on: the platform itself or a connected one."""

    obj: dict[str, Any]
    connected: bool  # False for the platform account
    client_id: str | None = None  # the ca_ that connected it through OAuth
    deauthorized: bool = False


@dataclass
class OAuthCode:
    account_id: str
    client_id: str
    scope: str
    livemode: bool
    used: bool = False
    access_token: str | None = None


@dataclass
class WebhookState:
    queue: list[str] = field(default_factory=list)  # event ids awaiting delivery
    held: bool = False
    in_flight: int = 0
    deliveries: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class IdempotentResult:
    fingerprint: tuple[Any, ...]
    status: int
    body: bytes


# Plain-JSON side tables (id -> data) that are saved with the state file as they are.
PERSISTED_TABLES = ("session_line_items", "session_params", "invoice_payments", "trial_notices")
STATE_FORMAT = 1


class Store:
    def __init__(self, config: Config, platform_account_id: str = DEFAULT_PLATFORM_ACCOUNT_ID,
                 state_file: str | None = None) -> None:
        self.lock = threading.RLock()
        # Signalled whenever the webhook queue or its hold flag changes.
        self.changed = threading.Condition(self.lock)
        self.config = config
        self.platform_account_id = platform_account_id
        self.state_file = state_file
        # The /v1 requests received, newest last (not part of the saved state): tests count calls with it.
        self.request_log: collections.deque[dict[str, Any]] = collections.deque(maxlen=5000)
        self.reset()
        if state_file and os.path.exists(state_file):
            self.load(state_file)

    # -- lifecycle ------------------------------------------------------------

    def reset(self) -> None:
        """Forget all data (config stays). The platform account is recreated."""
        from . import objects  # objects imports nothing from here at import time

        with self.lock:
            self.clock_offset = 0
            self._seq = 0
            self.records: dict[str, Record] = {}
            self.accounts: dict[str, AccountState] = {}
            self.oauth_codes: dict[str, OAuthCode] = {}
            self.access_tokens: dict[str, str] = {}  # OAuth access token -> account id
            self.refresh_tokens: dict[str, str] = {}  # OAuth refresh token -> account id
            self.revoked_tokens: set[str] = set()
            self.idempotency: dict[tuple[Any, ...], IdempotentResult] = {}
            # Data Stripe only shows through sub-resources or expansion:
            self.session_line_items: dict[str, list[dict[str, Any]]] = {}  # cs_ -> checkout line items
            self.session_params: dict[str, dict[str, Any]] = {}  # cs_ -> subscription_data etc.
            self.invoice_payments: dict[str, list[dict[str, Any]]] = {}  # in_ -> invoice_payment objects
            self.trial_notices: dict[str, int] = {}  # sub_ -> when trial_will_end was sent (once per trial)
            self.webhooks = WebhookState()
            self.request_log.clear()
            platform = objects.account(
                self, self.platform_account_id, name="Stand-in Platform", email="platform@example.com",
                connected=False,
            )
            self.accounts[platform["id"]] = AccountState(obj=platform, connected=False)
            self.changed.notify_all()

    # -- clock ------------------------------------------------------------------

    def now(self) -> int:
        """Unix time as the stand-in sees it (wall clock + advanced seconds)."""
        return int(time.time()) + self.clock_offset

    # -- ids and records ----------------------------------------------------------

    @staticmethod
    def new_id(prefix: str, length: int = 24) -> str:
        return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))

    def add(self, obj: dict[str, Any], account: str | None, livemode: bool) -> dict[str, Any]:
        with self.lock:
            if obj["id"] in self.records:
                raise StripeError(400, f"Object with id {obj['id']} already exists.", code="resource_already_exists",
                                  param="id")
            self._seq += 1
            self.records[obj["id"]] = Record(obj=obj, account=account, livemode=livemode, seq=self._seq)
            return obj

    def record(self, object_id: str) -> Record | None:
        return self.records.get(object_id)

    def get(
        self,
        object_id: str,
        *,
        account: str | None,
        livemode: bool,
        object_type: str,
        label: str | None = None,
        param: str = "id",
        allow_deleted: bool = False,
    ) -> dict[str, Any]:
        """Fetch an object visible to (account, livemode) or raise ``resource_missing``."""
        label = label or object_type
        rec = self.records.get(object_id)
        if rec is None or rec.obj.get("object") != object_type or rec.account != account:
            raise resource_missing(label, object_id, param)
        if rec.livemode != livemode:
            mode, key = ("live", "test") if rec.livemode else ("test", "live")
            raise StripeError(
                404 if param == "id" else 400,
                f"No such {label}: '{object_id}'; a similar object exists in {mode} mode, "
                f"but a {key} mode key was used to make this request.",
                code="resource_missing", param=param,
            )
        if rec.deleted and not allow_deleted:
            raise resource_missing(label, object_id, param)
        return rec.obj

    def find(
        self,
        object_type: str,
        *,
        account: str | None,
        livemode: bool,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Live objects of a type in a namespace, newest first (Stripe's list order)."""
        found = [
            rec for rec in self.records.values()
            if rec.obj.get("object") == object_type and rec.account == account
            and rec.livemode == livemode and not rec.deleted and (where is None or where(rec.obj))
        ]
        found.sort(key=lambda rec: (rec.obj.get("created", 0), rec.seq), reverse=True)
        return [rec.obj for rec in found]

    # -- accounts -------------------------------------------------------------------

    def active_account(self, account_id: str) -> AccountState | None:
        state = self.accounts.get(account_id)
        if state is None or state.deauthorized:
            return None
        return state

    def account_name(self, account: str | None) -> str:
        state = self.accounts.get(account or self.platform_account_id)
        if state is None:
            return "Stand-in"
        return str(state.obj["settings"]["dashboard"]["display_name"] or state.obj["id"])

    # -- events ----------------------------------------------------------------------

    def emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        account: str | None,
        livemode: bool,
        previous_attributes: dict[str, Any] | None = None,
        request: tuple[str | None, str | None] = (None, None),
    ) -> dict[str, Any]:
        """Record an event (with a snapshot of ``obj``) and queue it for webhooks."""
        from . import objects

        with self.lock:
            event = objects.event(
                self, event_type, copy.deepcopy(obj), account=account, livemode=livemode,
                previous_attributes=copy.deepcopy(previous_attributes), request=request,
            )
            self.add(event, account, livemode)
            self.webhooks.queue.append(event["id"])
            self.changed.notify_all()
            return event

    def events(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        return [self.records[i].obj for i in ids if i in self.records]

    # -- the state file (``--state-file``): data survives a restart -----------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything a restart must keep, as JSON-ready data (config and request log excluded)."""
        with self.lock:
            return {
                "format": STATE_FORMAT,
                "platform_account_id": self.platform_account_id,
                "clock_offset": self.clock_offset,
                "seq": self._seq,
                "records": [asdict(rec) for rec in self.records.values()],
                "accounts": [asdict(state) for state in self.accounts.values()],
                "oauth_codes": {code: asdict(grant) for code, grant in self.oauth_codes.items()},
                "access_tokens": self.access_tokens,
                "refresh_tokens": self.refresh_tokens,
                "revoked_tokens": sorted(self.revoked_tokens),
                "idempotency": [
                    {"key": list(key), "fingerprint": list(result.fingerprint), "status": result.status,
                     "body": base64.b64encode(result.body).decode()}
                    for key, result in self.idempotency.items()
                ],
                "tables": {name: getattr(self, name) for name in PERSISTED_TABLES},
                "webhook_queue": list(self.webhooks.queue),
            }

    def restore(self, data: dict[str, Any]) -> None:
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported stand-in state format {data.get('format')!r}")
        with self.lock:
            self.reset()
            self.clock_offset = int(data["clock_offset"])
            self._seq = int(data["seq"])
            self.records = {rec["obj"]["id"]: Record(**rec) for rec in data["records"]}
            for state in data["accounts"]:
                self.accounts[state["obj"]["id"]] = AccountState(**state)
            self.oauth_codes = {code: OAuthCode(**grant) for code, grant in data["oauth_codes"].items()}
            self.access_tokens = dict(data["access_tokens"])
            self.refresh_tokens = dict(data["refresh_tokens"])
            self.revoked_tokens = set(data["revoked_tokens"])
            self.idempotency = {
                tuple(item["key"]): IdempotentResult(tuple(item["fingerprint"]), item["status"],
                                                     base64.b64decode(item["body"]))
                for item in data["idempotency"]
            }
            for name in PERSISTED_TABLES:
                setattr(self, name, dict(data["tables"].get(name, {})))
            self.webhooks.queue = [event_id for event_id in data["webhook_queue"] if event_id in self.records]
            self.changed.notify_all()

    def load(self, path: str) -> None:
        with open(path, encoding="utf-8") as handle:
            self.restore(json.load(handle))

    def persist(self) -> None:
        """Write the state file, if there is one (atomically: a crash never leaves half a file)."""
        if not self.state_file:
            return
        with self.lock:
            data = json.dumps(self.snapshot())
            directory = os.path.dirname(os.path.abspath(self.state_file))
            os.makedirs(directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".standin-", dir=directory)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
            os.replace(tmp, self.state_file)
