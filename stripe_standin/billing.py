"""What happens to customers, subscriptions and invoices, and which events say so.

Used by the REST handlers, the hosted Checkout/portal pages and the control
API alike, so that a subscription canceled from the portal produces the same
events as one canceled through ``DELETE /v1/subscriptions/{id}``.

All functions expect the caller to hold ``store.lock``.

Event sequences (each event carries a snapshot of its object at that moment):

* Checkout, subscription mode: [customer.created], customer.subscription.created
  (``incomplete``), invoice.created, invoice.finalized, payment_intent.succeeded,
  invoice.paid, invoice.payment_succeeded, customer.subscription.updated (``active``),
  checkout.session.completed
* Checkout, payment mode: [customer.created], payment_intent.succeeded,
  checkout.session.completed
* renewal: customer.subscription.updated, invoice.created, invoice.finalized,
  payment_intent.succeeded, invoice.paid, invoice.payment_succeeded
* failed renewal (control API): invoice.created, invoice.finalized,
  payment_intent.payment_failed, invoice.payment_failed, customer.subscription.updated
* renewal needing authentication (control API): invoice.created, invoice.finalized,
  payment_intent.requires_action, invoice.payment_action_required, customer.subscription.updated
* pause (control API): customer.subscription.updated, customer.subscription.paused;
  resume: customer.subscription.resumed, customer.subscription.updated [, invoice sequence]
* refund (full or partial): refund.created, charge.refunded
* Checkout with a trial: [customer.created], customer.subscription.created (``trialing``),
  invoice.created, invoice.finalized, invoice.paid, invoice.payment_succeeded (a $0 invoice, no
  payment), checkout.session.completed; three days before the trial ends
  customer.subscription.trial_will_end; at its end the renewal sequence (now ``active``), or
  without a payment method, by ``trial_settings.end_behavior.missing_payment_method``:
  customer.subscription.deleted (``cancel``), the pause sequence (``pause``), or an unpaid
  invoice and ``past_due`` (``create_invoice``)
* price change, same interval: customer.subscription.updated, invoiceitem.created (the
  prorations) [, with ``always_invoice`` the invoice sequence of a ``subscription_update``
  invoice]; a new interval restarts the period now and charges at once
* subscription schedules: subscription_schedule.created / .updated / .released / .canceled;
  at a phase's end the subscription takes the next phase's prices (customer.subscription.updated,
  subscription_schedule.updated) and after the last phase the schedule releases the subscription
  (``end_behavior=release``) or cancels it (``cancel``)
"""

from __future__ import annotations

import copy
import datetime
from typing import Any

from . import objects
from .errors import StripeError
from .store import Record, Store

Request = tuple[str | None, str | None]  # (request id, idempotency key) shown on events
NO_REQUEST: Request = (None, None)


class Scope:
    """The namespace an operation happens in: account (None = platform) and mode."""

    def __init__(self, store: Store, account: str | None, livemode: bool, request: Request = NO_REQUEST) -> None:
        self.store = store
        self.account = account
        self.livemode = livemode
        self.request = request

    @classmethod
    def of(cls, store: Store, rec: Record, request: Request = NO_REQUEST) -> "Scope":
        return cls(store, rec.account, rec.livemode, request)

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        return self.store.add(obj, self.account, self.livemode)

    def emit(self, event_type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
        self.store.emit(event_type, obj, account=self.account, livemode=self.livemode,
                        previous_attributes=previous, request=self.request)

    def get(self, object_id: str, object_type: str) -> dict[str, Any]:
        return self.store.get(object_id, account=self.account, livemode=self.livemode, object_type=object_type)

    def product_names(self) -> dict[str, str]:
        return {p["id"]: p["name"] for p in self.store.find("product", account=self.account, livemode=self.livemode)}


def period_start(sub: dict[str, Any]) -> int:
    """The subscription's current period, which since API 2025-03-31 lives on its items."""
    return min(item["current_period_start"] for item in sub["items"]["data"])


def period_end(sub: dict[str, Any]) -> int:
    return min(item["current_period_end"] for item in sub["items"]["data"])


def previous_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The old values of changed fields, as Stripe puts them in ``data.previous_attributes``.

    Nested hashes are diffed recursively; lists and list objects (``items``) are
    reported whole, as Stripe does.
    """
    changed: dict[str, Any] = {}
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and old.get("object") != "list":
            changed[key] = previous_attributes(old, new)
        else:
            changed[key] = copy.deepcopy(old)
    return changed


# -- Checkout -----------------------------------------------------------------------------


def complete_checkout(store: Store, session_id: str, email: str | None) -> dict[str, Any]:
    """The customer pressed "Pay" on the hosted page: do what Stripe does after a card succeeds."""
    rec = store.record(session_id)
    if rec is None or rec.obj.get("object") != "checkout.session":
        raise StripeError(404, f"No such checkout session: '{session_id}'", code="resource_missing")
    scope = Scope.of(store, rec)
    session = rec.obj
    expire_if_due(store, rec)
    if session["status"] != "open":
        raise StripeError(400, f"This Checkout Session is {session['status']} and can no longer be paid.",
                          code="checkout_session_inactive")

    customer = scope.get(session["customer"], "customer") if session["customer"] else None
    email = session["customer_email"] or (customer or {}).get("email") or email
    if customer is None and session["customer_creation"] == "always":
        customer = scope.add(objects.customer(store, livemode=scope.livemode, email=email, name=None,
                                              description=None, phone=None, metadata={}))
        scope.emit("customer.created", customer)

    extra = store.session_params.get(session_id, {})  # subscription_data / payment_intent_data
    pm = None
    if session["amount_total"] > 0 or session["payment_method_collection"] == "always":
        pm = scope.add(objects.payment_method(store, livemode=scope.livemode,
                                              customer_id=customer["id"] if customer else None, email=email))
    session["customer"] = customer["id"] if customer else None
    session["customer_details"] = {
        "address": None, "email": email, "name": None, "phone": None, "tax_exempt": "none", "tax_ids": [],
    }
    line_items = store.session_line_items.get(session_id, [])
    if session["mode"] == "subscription":
        assert customer is not None
        sub_data = extra.get("subscription_data", {})
        sub, invoice = start_subscription(scope, customer, line_items, pm, sub_data)
        session["subscription"] = sub["id"]
        session["invoice"] = invoice["id"]
    else:
        pi_data = extra.get("payment_intent_data", {})
        pi = _succeeded_payment(scope, amount=session["amount_total"], currency=session["currency"],
                                customer_id=session["customer"], pm=pm, metadata=dict(pi_data.get("metadata", {})),
                                description=pi_data.get("description"),
                                application_fee_amount=pi_data.get("application_fee_amount"),
                                receipt_email=pi_data.get("receipt_email"))
        session["payment_intent"] = pi["id"]
    session["status"] = "complete"
    session["payment_status"] = "paid"
    scope.emit("checkout.session.completed", session)
    return session


def expire_if_due(store: Store, rec: Record) -> None:
    session = rec.obj
    if session["status"] == "open" and session["expires_at"] <= store.now():
        expire_session(Scope.of(store, rec), session)


def expire_session(scope: Scope, session: dict[str, Any]) -> None:
    session["status"] = "expired"
    scope.emit("checkout.session.expired", session)


# -- refunds -------------------------------------------------------------------------------


def refund_charge(scope: Scope, charge: dict[str, Any], *, amount: int | None, reason: str | None,
                  metadata: dict[str, str]) -> dict[str, Any]:
    """Refund ``amount`` (default: what is left) of a succeeded charge, as Stripe does for cards:
    the refund succeeds at once and ``charge.refunded`` carries the updated charge."""
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    if charge["refunded"] or remaining <= 0:
        raise StripeError(400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    amount = remaining if amount is None else amount
    if amount > remaining:
        raise StripeError(
            400, f"Refund amount ({objects.format_amount(amount, charge['currency'])}) is greater than unrefunded "
                 f"amount on charge ({objects.format_amount(remaining, charge['currency'])})",
            code="amount_too_large", param="amount")
    before = copy.deepcopy(charge)
    refund = scope.add(objects.refund(scope.store, livemode=scope.livemode, charge=charge, amount=amount,
                                      reason=reason, metadata=metadata))
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
    scope.emit("refund.created", refund)
    scope.emit("charge.refunded", charge, previous_attributes(before, charge))
    return refund


# -- subscriptions ---------------------------------------------------------------------


def trial_end_for(now: int, sub_data: dict[str, Any]) -> int | None:
    """When a new subscription's trial ends (``trial_end`` or ``trial_period_days``), or None."""
    if sub_data.get("trial_end"):
        return int(sub_data["trial_end"])
    if sub_data.get("trial_period_days"):
        return now + int(sub_data["trial_period_days"]) * 86400
    return None


def start_subscription(scope: Scope, customer: dict[str, Any], line_items: list[dict[str, Any]],
                       pm: dict[str, Any] | None, sub_data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    store = scope.store
    now = store.now()
    recurring = line_items[0]["price"]["recurring"]
    trial_end = trial_end_for(now, sub_data)
    period_end = trial_end or objects.add_interval(now, recurring["interval"], recurring["interval_count"])
    sub_id = store.new_id("sub_")
    items = [
        objects.subscription_item(store, p=copy.deepcopy(li["price"]), quantity=li["quantity"],
                                  subscription_id=sub_id, period_start=now, period_end=period_end)
        for li in line_items
    ]
    sub = scope.add(objects.subscription(
        store, sub_id=sub_id, livemode=scope.livemode, customer_id=customer["id"],
        currency=line_items[0]["currency"], items=items, period_start=now, period_end=period_end,
        metadata=dict(sub_data.get("metadata", {})), description=sub_data.get("description"),
        default_payment_method=pm["id"] if pm else None,
        application_fee_percent=sub_data.get("application_fee_percent"),
    ))
    end_behavior = (sub_data.get("trial_settings") or {}).get("end_behavior") or {}
    if end_behavior.get("missing_payment_method"):
        sub["trial_settings"]["end_behavior"]["missing_payment_method"] = end_behavior["missing_payment_method"]
    if trial_end is not None:
        # A trial: the subscription is trialing from the start and its first invoice is $0.
        sub.update(status="trialing", trial_start=now, trial_end=trial_end, billing_cycle_anchor=trial_end)
        invoice = _draft_invoice(scope, sub, customer, "subscription_create", trial=True)
        scope.emit("customer.subscription.created", sub)
        _charge_invoice(scope, invoice, customer, pm, "Subscription creation")
        return sub, invoice
    # Stripe creates the first invoice together with the subscription, so the
    # subscription.created snapshot already names it as latest_invoice.
    invoice = _draft_invoice(scope, sub, customer, "subscription_create")
    scope.emit("customer.subscription.created", sub)
    _charge_invoice(scope, invoice, customer, pm, "Subscription creation")
    # As on Stripe: the subscription starts incomplete and becomes active once its first invoice is paid.
    before = copy.deepcopy(sub)
    sub["status"] = "active"
    emit_if_changed(scope, before, sub)
    return sub, invoice


def pending_invoice_items(scope: Scope, sub: dict[str, Any]) -> list[dict[str, Any]]:
    """The subscription's prorations that no invoice has taken yet, oldest first."""
    found = scope.store.find("invoiceitem", account=scope.account, livemode=scope.livemode,
                             where=lambda ii: ii["invoice"] is None
                             and ii["parent"]["subscription_details"]["subscription"] == sub["id"])
    return list(reversed(found))


def _draft_invoice(scope: Scope, sub: dict[str, Any], customer: dict[str, Any], reason: str,
                   period: tuple[int, int] | None = None, *, trial: bool = False, with_items: bool = True,
                   invoice_items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A draft invoice of the subscription; it takes over ``invoice_items`` (default: the pending
    prorations, except on a trial's $0 invoice)."""
    store = scope.store
    state = store.accounts.get(scope.account or store.platform_account_id)
    if invoice_items is None:
        invoice_items = [] if trial else pending_invoice_items(scope, sub)
    invoice = objects.invoice(
        store, livemode=scope.livemode, customer=customer, sub=sub, billing_reason=reason,
        account_name=store.account_name(scope.account), account_country=state.obj["country"] if state else "US",
        product_names=scope.product_names(), invoice_items=invoice_items, with_items=with_items, trial=trial,
    )
    if period is not None:
        invoice["period_start"], invoice["period_end"] = period
    scope.add(invoice)
    sub["latest_invoice"] = invoice["id"]
    return invoice


def _finalize(scope: Scope, invoice: dict[str, Any], customer: dict[str, Any]) -> None:
    now = scope.store.now()
    invoice["status"] = "open"
    invoice["number"] = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}"
    customer["next_invoice_sequence"] += 1
    invoice["effective_at"] = now
    # A credit (negative balance, e.g. from a downgrade's prorations) pays part of the invoice first;
    # an invoice that comes out negative leaves its credit on the balance for the next one.
    due = invoice["total"] + customer["balance"]
    invoice["starting_balance"] = customer["balance"]
    invoice["amount_due"] = invoice["amount_remaining"] = max(due, 0)
    invoice["ending_balance"] = min(due, 0)
    customer["balance"] = min(due, 0)
    invoice["status_transitions"]["finalized_at"] = now
    invoice["hosted_invoice_url"] = f"{scope.store.config.public_base}/invoice/{invoice['id']}"
    scope.emit("invoice.finalized", invoice)


def _charge_invoice(scope: Scope, invoice: dict[str, Any], customer: dict[str, Any], pm: dict[str, Any] | None,
                    description: str) -> None:
    """draft -> open -> paid, with the events Stripe sends along the way."""
    scope.emit("invoice.created", invoice)
    _finalize(scope, invoice, customer)
    _pay_open_invoice(scope, invoice, customer, pm, description)


def _pay_open_invoice(scope: Scope, invoice: dict[str, Any], customer: dict[str, Any], pm: dict[str, Any] | None,
                      description: str) -> None:
    now = scope.store.now()
    if invoice["amount_due"] > 0:  # nothing is charged for a $0 invoice (a trial's, or one paid by a credit)
        pi = _succeeded_payment(scope, amount=invoice["amount_due"], currency=invoice["currency"],
                                customer_id=customer["id"], pm=pm, metadata={}, description=description)
        _record_invoice_payment(scope, invoice, pi, "paid")
    invoice.update({
        "status": "paid", "attempted": True, "attempt_count": invoice["attempt_count"] + 1,
        "amount_paid": invoice["amount_due"], "amount_remaining": 0, "next_payment_attempt": None,
    })
    invoice["status_transitions"]["paid_at"] = now
    scope.emit("invoice.paid", invoice)
    scope.emit("invoice.payment_succeeded", invoice)


def _record_invoice_payment(scope: Scope, invoice: dict[str, Any], pi: dict[str, Any], status: str) -> None:
    now = scope.store.now()
    scope.store.invoice_payments.setdefault(invoice["id"], []).append({
        "id": scope.store.new_id("inpay_"),
        "object": "invoice_payment",
        "amount_paid": pi["amount_received"],
        "amount_requested": pi["amount"],
        "created": now,
        "currency": pi["currency"],
        "invoice": invoice["id"],
        "is_default": True,
        "livemode": scope.livemode,
        "payment": {"payment_intent": pi["id"], "type": "payment_intent"},
        "status": status,
        "status_transitions": {"canceled_at": None, "paid_at": now if status == "paid" else None},
    })


def _succeeded_payment(scope: Scope, *, amount: int, currency: str, customer_id: str | None,
                       pm: dict[str, Any] | None, metadata: dict[str, str], description: str | None,
                       application_fee_amount: int | None = None, receipt_email: str | None = None) -> dict[str, Any]:
    store = scope.store
    pi = objects.payment_intent(store, livemode=scope.livemode, amount=amount, currency=currency,
                                customer_id=customer_id, payment_method_id=pm["id"] if pm else None,
                                metadata=metadata, description=description,
                                application_fee_amount=application_fee_amount, receipt_email=receipt_email)
    ch = scope.add(objects.charge(store, livemode=scope.livemode, pi=pi, pm=pm))
    pi["latest_charge"] = ch["id"]
    scope.add(pi)
    scope.emit("payment_intent.succeeded", pi)
    return pi


def _default_pm(scope: Scope, sub: dict[str, Any]) -> dict[str, Any] | None:
    """The card a subscription's invoices are charged to: its own, else its customer's default."""
    pm_id = sub.get("default_payment_method")
    if not pm_id:
        customer = scope.store.record(sub["customer"])
        pm_id = customer.obj["invoice_settings"].get("default_payment_method") if customer else None
    rec = scope.store.record(pm_id) if pm_id else None
    return rec.obj if rec else None


def renew(scope: Scope, sub: dict[str, Any]) -> None:
    """Roll a subscription into its next period and collect the renewal invoice."""
    before = copy.deepcopy(sub)
    start = period_end(sub)
    for item in sub["items"]["data"]:
        recurring = item["price"]["recurring"]
        item["current_period_start"] = start
        item["current_period_end"] = objects.add_interval(start, recurring["interval"], recurring["interval_count"])
    customer = scope.get(sub["customer"], "customer")
    invoice = _draft_invoice(scope, sub, customer, "subscription_cycle", period=(period_start(before), start))
    scope.emit("customer.subscription.updated", sub, previous_attributes(before, sub))
    _charge_invoice(scope, invoice, customer, _default_pm(scope, sub), "Subscription update")


def set_cancel_at_period_end(scope: Scope, sub: dict[str, Any], cancel: bool) -> None:
    before = copy.deepcopy(sub)
    apply_cancel_at_period_end(scope, sub, cancel)
    emit_if_changed(scope, before, sub)


def apply_cancel_at_period_end(scope: Scope, sub: dict[str, Any], cancel: bool) -> None:
    if cancel == sub["cancel_at_period_end"]:
        return
    sub["cancel_at_period_end"] = cancel
    sub["cancel_at"] = period_end(sub) if cancel else None
    sub["canceled_at"] = scope.store.now() if cancel else None
    sub["cancellation_details"]["reason"] = "cancellation_requested" if cancel else None


def emit_if_changed(scope: Scope, before: dict[str, Any], sub: dict[str, Any]) -> None:
    changed = previous_attributes(before, sub)
    if changed:
        scope.emit("customer.subscription.updated", sub, changed)


def cancel_now(scope: Scope, sub: dict[str, Any], *, ended_at: int | None = None,
               reason: str = "cancellation_requested") -> None:
    """End a subscription (now, or at ``ended_at`` for a period-end cancellation)."""
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise StripeError(400, f"This subscription is already canceled: '{sub['id']}'")
    now = scope.store.now()
    sub["status"] = "canceled"
    sub["ended_at"] = ended_at if ended_at is not None else now
    sub["canceled_at"] = sub["canceled_at"] or now
    if sub["cancellation_details"]["reason"] is None:
        sub["cancellation_details"]["reason"] = reason
    scope.emit("customer.subscription.deleted", sub)
    schedule = schedule_of(scope, sub)
    if schedule is not None:  # a canceled subscription ends its schedule too
        schedule.update(status="canceled", canceled_at=sub["ended_at"], current_phase=None)
        scope.emit("subscription_schedule.canceled", schedule)


def change_items(scope: Scope, sub: dict[str, Any], changes: list[dict[str, Any]]) -> None:
    """Apply ``items[i][id|price|quantity|deleted]`` changes (prices already validated)."""
    store = scope.store
    data = sub["items"]["data"]
    start, end = period_start(sub), period_end(sub)  # new items join the current period
    for change in changes:
        if "id" in change:
            item = next(i for i in data if i["id"] == change["id"])
            if change.get("deleted"):
                data.remove(item)
                continue
            if "price" in change:
                item["price"] = copy.deepcopy(change["price"])
                item["plan"] = objects.plan_from_price(item["price"])
            if "quantity" in change:
                item["quantity"] = change["quantity"]
        else:
            data.append(objects.subscription_item(
                store, p=copy.deepcopy(change["price"]), quantity=change.get("quantity", 1),
                subscription_id=sub["id"], period_start=start, period_end=end))
    if not data:
        raise StripeError(400, "A subscription must have at least one active plan.", param="items")


def _interval(item: dict[str, Any]) -> tuple[str, int]:
    recurring = item["price"]["recurring"]
    return recurring["interval"], recurring["interval_count"]


PRORATION_BEHAVIORS = ("create_prorations", "always_invoice", "none")


def _day(timestamp: int) -> str:
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc).strftime("%-d %b %Y")


def _share(amount: int, part: int, whole: int) -> int:
    """``amount * part / whole`` rounded half up (amounts are positive integers of minor units)."""
    return (2 * amount * part + whole) // (2 * whole) if whole > 0 else 0


def prorations(scope: Scope, sub: dict[str, Any], before: dict[str, Any], *, at: int,
               credits_only: bool = False) -> list[dict[str, Any]]:
    """Classic billing mode's prorations for the items that changed at ``at``: a credit for the unused
    time on each old price and a charge for the remaining time on each new one, as invoice items
    (not stored yet). During a trial nothing was paid, so nothing is prorated."""
    if before["status"] == "trialing":
        return []
    start, end = period_start(before), period_end(before)
    at = min(max(at, start), end)
    left, whole = end - at, end - start
    names = scope.product_names()
    old_items = {item["id"]: item for item in before["items"]["data"]}
    new_items = {item["id"]: item for item in sub["items"]["data"]}
    result: list[dict[str, Any]] = []

    def add(item: dict[str, Any], sign: int, wording: str) -> None:
        price = item["price"]
        amount = _share(price["unit_amount"] * item["quantity"], left, whole)
        if amount:
            result.append(objects.invoice_item(
                scope.store, livemode=scope.livemode, customer_id=sub["customer"], sub=sub, item=item, price=price,
                amount=sign * amount, period=(at, end),
                description=f"{wording} time on {item['quantity']} × {names.get(price['product'], price['product'])}"
                            f" after {_day(at)}"))

    for item_id, old in old_items.items():
        new = new_items.get(item_id)
        if new is None or (new["price"]["id"], new["quantity"]) != (old["price"]["id"], old["quantity"]):
            add(old, -1, "Unused")
    if not credits_only:
        for item_id, new in new_items.items():
            old = old_items.get(item_id)
            if old is None or (new["price"]["id"], new["quantity"]) != (old["price"]["id"], old["quantity"]):
                add(new, 1, "Remaining")
    return result


def _store_invoice_items(scope: Scope, items: list[dict[str, Any]]) -> None:
    for ii in items:
        scope.add(ii)
        scope.emit("invoiceitem.created", ii)


def apply_item_change(scope: Scope, sub: dict[str, Any], before: dict[str, Any], *,
                      proration_behavior: str = "create_prorations", proration_date: int | None = None) -> None:
    """After an item change (prices already swapped by ``change_items``), as classic billing does it.

    Same interval: the period stays; ``create_prorations`` leaves the prorations pending for the next
    invoice, ``always_invoice`` invoices and charges them now, ``none`` creates none. A new interval
    (monthly -> yearly) restarts the billing period now and charges a ``subscription_update`` invoice
    for the new period at once, less the unused time on the old price (unless ``none``).
    """
    if before["status"] == "trialing":
        # A trial goes on with the new prices: its period stays, nothing was paid, nothing is invoiced.
        emit_if_changed(scope, before, sub)
        return
    at = proration_date if proration_date is not None else scope.store.now()
    old_interval = _interval(before["items"]["data"][0])
    new_interval = _interval(sub["items"]["data"][0])
    customer = scope.get(sub["customer"], "customer")
    if old_interval == new_interval:
        items = [] if proration_behavior == "none" else prorations(scope, sub, before, at=at)
        invoice = None
        if proration_behavior == "always_invoice" and items:
            invoice = _draft_invoice(scope, sub, customer, "subscription_update", with_items=False,
                                     invoice_items=items + pending_invoice_items(scope, sub))
        emit_if_changed(scope, before, sub)
        _store_invoice_items(scope, items)
        if invoice is not None:
            _charge_invoice(scope, invoice, customer, _default_pm(scope, sub), "Subscription update")
        return
    credits = [] if proration_behavior == "none" else prorations(scope, sub, before, at=at, credits_only=True)
    now = scope.store.now()
    end = objects.add_interval(now, *new_interval)
    for item in sub["items"]["data"]:
        item["current_period_start"], item["current_period_end"] = now, end
    sub["billing_cycle_anchor"] = now
    if sub["cancel_at_period_end"]:
        sub["cancel_at"] = end
    _store_invoice_items(scope, credits)
    invoice = _draft_invoice(scope, sub, customer, "subscription_update")
    scope.emit("customer.subscription.updated", sub, previous_attributes(before, sub))
    _charge_invoice(scope, invoice, customer, _default_pm(scope, sub), "Subscription update")


def fail_payment(scope: Scope, sub: dict[str, Any], *, authentication_required: bool = False) -> dict[str, Any]:
    """Simulate a renewal that isn't paid: open invoice, subscription past_due. The card is declined
    (``payment_intent.payment_failed``, ``invoice.payment_failed``) or, with ``authentication_required``,
    the bank asks the customer to authenticate (``payment_intent.requires_action``,
    ``invoice.payment_action_required``)."""
    store = scope.store
    before = copy.deepcopy(sub)
    customer = scope.get(sub["customer"], "customer")
    invoice = _draft_invoice(scope, sub, customer, "subscription_cycle")
    scope.emit("invoice.created", invoice)
    _finalize(scope, invoice, customer)
    pm = _default_pm(scope, sub)
    pi = objects.payment_intent(store, livemode=scope.livemode, amount=invoice["amount_due"],
                                currency=invoice["currency"], customer_id=customer["id"],
                                payment_method_id=None, metadata={}, description="Subscription update")
    pi["amount_received"] = 0
    if authentication_required:
        pi.update({
            "status": "requires_action",
            "payment_method": pm["id"] if pm else None,
            "next_action": {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}},
        })
    else:
        pi.update({
            "status": "requires_payment_method",
            "last_payment_error": {
                "code": "card_declined", "decline_code": "generic_decline", "doc_url":
                "https://stripe.com/docs/error-codes/card-declined", "message": "Your card was declined.",
                "payment_method": copy.deepcopy(pm), "type": "card_error",
            },
        })
    scope.add(pi)
    _record_invoice_payment(scope, invoice, pi, "open")
    scope.emit("payment_intent.requires_action" if authentication_required else "payment_intent.payment_failed", pi)
    invoice.update({"attempted": True, "attempt_count": 1,
                    "next_payment_attempt": None if authentication_required else store.now() + 3 * 86400})
    scope.emit("invoice.payment_action_required" if authentication_required else "invoice.payment_failed", invoice)
    sub["status"] = "past_due"
    scope.emit("customer.subscription.updated", sub, previous_attributes(before, sub))
    return invoice


def pause(scope: Scope, sub: dict[str, Any]) -> None:
    """What Stripe does when a trial ends without a payment method and the subscription is set to
    pause (the stand-in has no trials, so the control API triggers it directly)."""
    if sub["status"] not in ("active", "trialing"):
        raise StripeError(400, f"Only active or trialing subscriptions can be paused; '{sub['id']}' is "
                               f"{sub['status']}.")
    before = copy.deepcopy(sub)
    sub["status"] = "paused"
    scope.emit("customer.subscription.updated", sub, previous_attributes(before, sub))
    scope.emit("customer.subscription.paused", sub)


def resume(scope: Scope, sub: dict[str, Any], *, billing_cycle_anchor: str = "now") -> None:
    """``POST /v1/subscriptions/{id}/resume``: active again; with ``billing_cycle_anchor=now`` (Stripe's
    default) a new period starts now and its invoice is charged."""
    if sub["status"] != "paused":
        raise StripeError(400, f"Subscription '{sub['id']}' is not paused, so it cannot be resumed.")
    before = copy.deepcopy(sub)
    sub["status"] = "active"
    invoice = None
    if billing_cycle_anchor == "now":
        now = scope.store.now()
        for item in sub["items"]["data"]:
            recurring = item["price"]["recurring"]
            item["current_period_start"] = now
            item["current_period_end"] = objects.add_interval(now, recurring["interval"], recurring["interval_count"])
        sub["billing_cycle_anchor"] = now
        customer = scope.get(sub["customer"], "customer")
        invoice = _draft_invoice(scope, sub, customer, "subscription_cycle")
    scope.emit("customer.subscription.resumed", sub)
    scope.emit("customer.subscription.updated", sub, previous_attributes(before, sub))
    if invoice is not None:
        _charge_invoice(scope, invoice, scope.get(sub["customer"], "customer"), _default_pm(scope, sub),
                        "Subscription update")


def pay_invoice(scope: Scope, invoice: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/invoices/{id}/pay``: the payment succeeds; a past_due subscription recovers."""
    if invoice["status"] == "paid":
        raise StripeError(400, "Invoice is already paid", code="invoice_not_editable")
    if invoice["status"] in ("void", "uncollectible"):
        raise StripeError(400, f"You cannot pay an invoice with status {invoice['status']}.")
    customer = scope.get(invoice["customer"], "customer")
    sub_id = invoice["parent"]["subscription_details"]["subscription"]
    sub = scope.get(sub_id, "subscription")
    if invoice["status"] == "draft":
        _finalize(scope, invoice, customer)
    before = copy.deepcopy(sub)
    _pay_open_invoice(scope, invoice, customer, _default_pm(scope, sub), "Subscription update")
    if sub["status"] in ("past_due", "unpaid") and sub["latest_invoice"] == invoice["id"]:
        sub["status"] = "active"
        emit_if_changed(scope, before, sub)
    return invoice


# -- trials ---------------------------------------------------------------------------------

TRIAL_WILL_END_NOTICE = 3 * 86400  # Stripe sends customer.subscription.trial_will_end three days ahead


def trial_will_end(scope: Scope, sub: dict[str, Any]) -> None:
    scope.store.trial_notices[sub["id"]] = scope.store.now()
    scope.emit("customer.subscription.trial_will_end", sub)


def end_trial(scope: Scope, sub: dict[str, Any]) -> None:
    """The trial is over: with a payment method the first paid period starts and is charged; without
    one, ``trial_settings.end_behavior.missing_payment_method`` decides (cancel, pause, or an invoice
    that cannot be paid, leaving the subscription ``past_due``)."""
    at = sub["trial_end"]
    pm = _default_pm(scope, sub)
    behavior = sub["trial_settings"]["end_behavior"]["missing_payment_method"]
    if pm is None and behavior == "cancel":
        cancel_now(scope, sub, ended_at=at)
        return
    if pm is None and behavior == "pause":
        pause(scope, sub)
        return
    before = copy.deepcopy(sub)
    for item in sub["items"]["data"]:
        recurring = item["price"]["recurring"]
        item["current_period_start"] = at
        item["current_period_end"] = objects.add_interval(at, recurring["interval"], recurring["interval_count"])
    sub["status"] = "active" if pm is not None else "past_due"
    customer = scope.get(sub["customer"], "customer")
    invoice = _draft_invoice(scope, sub, customer, "subscription_cycle", period=(period_start(before), at))
    scope.emit("customer.subscription.updated", sub, previous_attributes(before, sub))
    if pm is not None:
        _charge_invoice(scope, invoice, customer, pm, "Subscription update")
    else:
        scope.emit("invoice.created", invoice)
        _finalize(scope, invoice, customer)


# -- subscription schedules ------------------------------------------------------------------


def schedule_of(scope: Scope, sub: dict[str, Any]) -> dict[str, Any] | None:
    rec = scope.store.record(sub["schedule"]) if sub.get("schedule") else None
    return rec.obj if rec is not None and rec.obj["status"] in ("active", "not_started") else None


def schedule_from_subscription(scope: Scope, sub: dict[str, Any], *, application: str | None,
                               metadata: dict[str, str]) -> dict[str, Any]:
    """``POST /v1/subscription_schedules`` with ``from_subscription``: one phase, the subscription as it
    is until its period ends, then released (it renews on its own as before)."""
    phase = objects.schedule_phase(items=[{"price": i["price"]["id"], "quantity": i["quantity"]}
                                          for i in sub["items"]["data"]],
                                   currency=sub["currency"], start=period_start(sub), end=period_end(sub),
                                   proration_behavior="create_prorations")
    schedule = scope.add(objects.subscription_schedule(scope.store, livemode=scope.livemode, sub=sub,
                                                       phases=[phase], application=application))
    schedule["metadata"] = metadata
    before = copy.deepcopy(sub)
    sub["schedule"] = schedule["id"]
    scope.emit("subscription_schedule.created", schedule)
    emit_if_changed(scope, before, sub)
    return schedule


def _phase_items(scope: Scope, phase: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"price": scope.get(item["price"], "price"), "quantity": item["quantity"] or 1} for item in phase["items"]]


def set_items(scope: Scope, sub: dict[str, Any], wanted: list[dict[str, Any]]) -> bool:
    """Make the subscription's items the ``wanted`` (price, quantity) list, keeping item ids in order.
    Returns whether anything changed."""
    current = sub["items"]["data"]
    same = [(i["price"]["id"], i["quantity"]) for i in current] == [(w["price"]["id"], w["quantity"]) for w in wanted]
    if same:
        return False
    changes: list[dict[str, Any]] = []
    for index, want in enumerate(wanted):
        if index < len(current):
            changes.append({"id": current[index]["id"], "price": want["price"], "quantity": want["quantity"]})
        else:
            changes.append({"price": want["price"], "quantity": want["quantity"]})
    changes += [{"id": item["id"], "deleted": True} for item in current[len(wanted):]]
    change_items(scope, sub, changes)
    return True


def schedule_advance(scope: Scope, schedule: dict[str, Any], sub: dict[str, Any]) -> None:
    """The current phase has ended: the subscription takes the next phase's items (prorated by that
    phase's ``proration_behavior`` when the change falls inside a billing period), or, after the last
    phase, the schedule ends by its ``end_behavior``."""
    ended_at = schedule["current_phase"]["end_date"]
    following = [p for p in schedule["phases"] if p["start_date"] >= ended_at]
    if not following:
        if schedule["end_behavior"] == "cancel":
            schedule.update(status="completed", completed_at=ended_at, current_phase=None)
            scope.emit("subscription_schedule.completed", schedule)
            cancel_now(scope, sub, ended_at=ended_at)
        else:
            release_schedule(scope, schedule, sub, at=ended_at)
        return
    phase = following[0]
    before_schedule = copy.deepcopy(schedule)
    schedule["current_phase"] = {"end_date": phase["end_date"], "start_date": phase["start_date"]}
    before = copy.deepcopy(sub)
    if set_items(scope, sub, _phase_items(scope, phase)):
        apply_item_change(scope, sub, before, proration_behavior=phase["proration_behavior"],
                          proration_date=ended_at)
    scope.emit("subscription_schedule.updated", schedule, previous_attributes(before_schedule, schedule))


def release_schedule(scope: Scope, schedule: dict[str, Any], sub: dict[str, Any] | None, *,
                     at: int | None = None) -> None:
    """The schedule lets go of its subscription, which carries on as it is now."""
    schedule.update(status="released", released_at=at if at is not None else scope.store.now(),
                    released_subscription=schedule["subscription"], subscription=None, current_phase=None)
    scope.emit("subscription_schedule.released", schedule)
    if sub is not None and sub.get("schedule") == schedule["id"]:
        before = copy.deepcopy(sub)
        sub["schedule"] = None
        emit_if_changed(scope, before, sub)


# -- the clock ------------------------------------------------------------------------------


def _due(scope: Scope, sub: dict[str, Any]) -> tuple[int, int, str] | None:
    """What happens next to a subscription, as (when, order among things due at once, what)."""
    store = scope.store
    candidates: list[tuple[int, int, str]] = []
    if sub["status"] == "trialing":
        if sub["id"] not in store.trial_notices:
            candidates.append((sub["trial_end"] - TRIAL_WILL_END_NOTICE, 0, "trial_will_end"))
        candidates.append((sub["trial_end"], 2, "cancel" if sub["cancel_at_period_end"] else "end_trial"))
    schedule = schedule_of(scope, sub)
    if schedule is not None and schedule["current_phase"]:
        candidates.append((schedule["current_phase"]["end_date"], 1, "phase"))
    if sub["status"] in ("active", "past_due"):
        if sub["cancel_at_period_end"]:
            candidates.append((period_end(sub), 2, "cancel"))
        elif sub["status"] == "active":
            candidates.append((period_end(sub), 2, "renew"))
        # past_due subscriptions don't renew: they wait for their open invoice to be paid
    due = sorted(c for c in candidates if c[0] <= store.now())
    return due[0] if due else None


def process_due(store: Store) -> list[str]:
    """After the clock moved: expire, notify, move schedules to their next phase, end trials, renew
    or end subscriptions, in the order their times came. Returns a summary."""
    done: list[str] = []
    now = store.now()
    for rec in sorted(store.records.values(), key=lambda r: r.seq):
        obj = rec.obj
        kind = obj.get("object")
        if kind == "checkout.session" and obj["status"] == "open" and obj["expires_at"] <= now:
            expire_session(Scope.of(store, rec), obj)
            done.append(f"{obj['id']}: expired")
        elif kind == "subscription":
            scope = Scope.of(store, rec)
            while obj["status"] in ("active", "past_due", "trialing") and (due := _due(scope, obj)) is not None:
                when, _, action = due
                if action == "trial_will_end":
                    trial_will_end(scope, obj)
                elif action == "phase":
                    schedule = schedule_of(scope, obj)
                    assert schedule is not None
                    schedule_advance(scope, schedule, obj)
                elif action == "end_trial":
                    end_trial(scope, obj)
                elif action == "cancel":
                    cancel_now(scope, obj, ended_at=when)
                else:
                    renew(scope, obj)
                done.append(f"{obj['id']}: {action.replace('_', ' ')} ({when})")
    return done
