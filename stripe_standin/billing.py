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
"""

from __future__ import annotations

import copy
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

    pm = scope.add(objects.payment_method(store, livemode=scope.livemode,
                                          customer_id=customer["id"] if customer else None, email=email))
    session["customer"] = customer["id"] if customer else None
    session["customer_details"] = {
        "address": None, "email": email, "name": None, "phone": None, "tax_exempt": "none", "tax_ids": [],
    }
    line_items = store.session_line_items.get(session_id, [])
    extra = store.session_params.get(session_id, {})  # subscription_data / payment_intent_data
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


def start_subscription(scope: Scope, customer: dict[str, Any], line_items: list[dict[str, Any]],
                       pm: dict[str, Any], sub_data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    store = scope.store
    now = store.now()
    recurring = line_items[0]["price"]["recurring"]
    period_end = objects.add_interval(now, recurring["interval"], recurring["interval_count"])
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
        default_payment_method=pm["id"], application_fee_percent=sub_data.get("application_fee_percent"),
    ))
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


def _draft_invoice(scope: Scope, sub: dict[str, Any], customer: dict[str, Any], reason: str,
                   period: tuple[int, int] | None = None) -> dict[str, Any]:
    store = scope.store
    state = store.accounts.get(scope.account or store.platform_account_id)
    invoice = objects.invoice(
        store, livemode=scope.livemode, customer=customer, sub=sub, billing_reason=reason,
        account_name=store.account_name(scope.account), account_country=state.obj["country"] if state else "US",
        product_names=scope.product_names(),
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
    invoice["ending_balance"] = 0
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
    pm_id = sub.get("default_payment_method")
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


def realign_period_after_change(scope: Scope, sub: dict[str, Any], before: dict[str, Any]) -> None:
    """After an item change: same interval -> just an update event (proration is not
    simulated); a new interval (monthly -> yearly) restarts the billing period now and
    charges a ``subscription_update`` invoice, as Stripe does."""
    old_interval = _interval(before["items"]["data"][0])
    new_interval = _interval(sub["items"]["data"][0])
    if old_interval == new_interval:
        emit_if_changed(scope, before, sub)
        return
    now = scope.store.now()
    end = objects.add_interval(now, *new_interval)
    for item in sub["items"]["data"]:
        item["current_period_start"], item["current_period_end"] = now, end
    sub["billing_cycle_anchor"] = now
    if sub["cancel_at_period_end"]:
        sub["cancel_at"] = end
    customer = scope.get(sub["customer"], "customer")
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


# -- the clock ------------------------------------------------------------------------------


def process_due(store: Store) -> list[str]:
    """After the clock moved: end, renew or expire whatever is now due. Returns a summary."""
    done: list[str] = []
    now = store.now()
    for rec in sorted(store.records.values(), key=lambda r: r.seq):
        obj = rec.obj
        kind = obj.get("object")
        if kind == "checkout.session" and obj["status"] == "open" and obj["expires_at"] <= now:
            expire_session(Scope.of(store, rec), obj)
            done.append(f"{obj['id']}: expired")
        elif kind == "subscription" and obj["status"] in ("active", "past_due", "trialing"):
            scope = Scope.of(store, rec)
            while obj["status"] != "canceled" and period_end(obj) <= now:
                if obj["cancel_at_period_end"]:
                    cancel_now(scope, obj, ended_at=period_end(obj))
                    done.append(f"{obj['id']}: canceled at period end")
                elif obj["status"] == "active":
                    renew(scope, obj)
                    done.append(f"{obj['id']}: renewed until {period_end(obj)}")
                else:
                    break  # past_due subscriptions wait for their open invoice to be paid
    return done
