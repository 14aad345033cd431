"""Hosted pages: Checkout, the customer portal, invoices and the OAuth consent screen.

Plain server-rendered HTML with labelled controls and ordinary POST forms, so
they work without JavaScript (and can be driven by ``requests`` in tests, the
way a browser would).
"""

from __future__ import annotations

import copy
import datetime
import html
import re
from typing import Any

from . import billing, objects
from .errors import StripeError
from .responses import Response, html_response, redirect
from .store import Store

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ccc}
button{font-size:1rem;padding:.5rem 1rem;margin:.25rem .25rem .25rem 0;cursor:pointer}
input,select{font-size:1rem;padding:.4rem}label{display:block;font-weight:600;margin:.75rem 0 .25rem}
.notice{background:#fff4d6;padding:.5rem;border-left:4px solid #d9a400}
.error{background:#fde8e8;padding:.5rem;border-left:4px solid #c81e1e}
section{border:1px solid #ccc;border-radius:6px;padding:0 1rem 1rem;margin:1rem 0}
form.inline{display:inline}
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def layout(title: str, body: str) -> str:
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def message_page(status: int, title: str, message: str) -> Response:
    return html_response(status, layout(title, f"<h1>{esc(title)}</h1><p>{esc(message)}</p>"))


def date(timestamp: int | None) -> str:
    if timestamp is None:
        return ""
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc).strftime("%Y-%m-%d")


def billing_period(price: dict[str, Any]) -> str:
    recurring = price.get("recurring")
    if not recurring:
        return "one time"
    count = recurring["interval_count"]
    return f"every {recurring['interval']}" if count == 1 else f"every {count} {recurring['interval']}s"


# -- Checkout ---------------------------------------------------------------------------------


def checkout_page(store: Store, session: dict[str, Any], *, email: str = "", error: str | None = None,
                  status: int = 200) -> Response:
    scope = billing.Scope.of(store, store.records[session["id"]])
    account_name = store.account_name(scope.account)
    title = f"Pay {account_name}"
    if session["status"] != "open":
        return message_page(status, title, f"This Checkout Session is {session['status']} and can no longer be paid.")
    names = scope.product_names()
    rows = []
    for line in store.session_line_items.get(session["id"], []):
        price = line["price"]
        rows.append(
            f"<tr><td>{esc(names.get(price['product'], line['description']))}</td><td>{line['quantity']}</td>"
            f"<td>{esc(objects.format_amount(price['unit_amount'], price['currency']))}</td>"
            f"<td>{esc(billing_period(price))}</td>"
            f"<td>{esc(objects.format_amount(line['amount_total'], line['currency']))}</td></tr>"
        )
    total = objects.format_amount(session["amount_total"], session["currency"])
    sub_data = store.session_params.get(session["id"], {}).get("subscription_data", {})
    trial_end = billing.trial_end_for(session["created"], sub_data)
    trial_note = (f"<p>Free trial until {esc(date(trial_end))}; the first payment is taken then.</p>"
                  if trial_end else "")
    no_card = session["amount_total"] == 0 and session["payment_method_collection"] == "if_required"
    known_email = session["customer_email"]
    if session["customer"]:
        known_email = store.records[session["customer"]].obj.get("email")
    if known_email or session["customer"]:
        who = f"<p>Paying as <strong>{esc(known_email or session['customer'])}</strong>.</p>"
    else:
        who = (
            "<label for=\"email\">Email</label>"
            f"<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required "
            f"value=\"{esc(email)}\">"
        )
    error_html = f"<p class=\"error\" role=\"alert\">{esc(error)}</p>" if error else ""
    cancel = (f"<p><a href=\"{esc(session['cancel_url'])}\">Cancel</a> and return to {esc(account_name)}</p>"
              if session["cancel_url"] else "")
    mode_note = "Subscription" if session["mode"] == "subscription" else "One-time payment"
    card_note = ("No card is needed today." if no_card
                 else "No real payment is made; the Visa test card ending in 4242 is used.")
    button = "Start trial" if trial_end else f"Pay {total}"
    body = (
        f"<h1>{esc(title)}</h1>"
        f"<p class=\"notice\">Stripe stand-in Checkout (test mode). {esc(card_note)}</p>"
        f"{error_html}{trial_note}"
        f"<table><caption>Order summary ({esc(mode_note)})</caption>"
        "<thead><tr><th scope=\"col\">Product</th><th scope=\"col\">Quantity</th><th scope=\"col\">Unit price</th>"
        "<th scope=\"col\">Billing</th><th scope=\"col\">Amount</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody>"
        f"<tfoot><tr><th scope=\"row\" colspan=\"4\">Total due today</th><td>{esc(total)}</td></tr></tfoot></table>"
        f"<form method=\"post\" action=\"/checkout/{esc(session['id'])}/pay\">{who}"
        f"<p><button type=\"submit\">{esc(button)}</button></p></form>{cancel}"
    )
    return html_response(status, layout(title, body))


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def pay_checkout(store: Store, session_id: str, form: dict[str, Any]) -> Response:
    rec = store.record(session_id)
    if rec is None or rec.obj.get("object") != "checkout.session":
        return message_page(404, "Not found", "This Checkout Session does not exist.")
    session = rec.obj
    billing.expire_if_due(store, rec)
    if session["status"] != "open":
        return message_page(400, "Checkout unavailable",
                            f"This Checkout Session is {session['status']} and can no longer be paid.")
    email = str(form.get("email", "")).strip()
    if not session["customer"] and not session["customer_email"] and not _EMAIL.match(email):
        return checkout_page(store, session, email=email, error="Enter a valid email address.", status=400)
    try:
        billing.complete_checkout(store, session_id, email or None)
    except StripeError as exc:
        return message_page(exc.status, "Payment failed", exc.message)
    if not session["success_url"]:
        return message_page(200, "Payment complete", "Thanks! Your payment was successful.")
    target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
    target = target.replace("%7BCHECKOUT_SESSION_ID%7D", session_id)
    return redirect(target, 303)


# -- customer portal ---------------------------------------------------------------------------

PORTAL_ACTIONS = ("cancel_at_period_end", "renew", "cancel_now", "switch", "keep_plan")
_INTERVAL_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


def _interval_days(price: dict[str, Any]) -> int:
    recurring = price["recurring"]
    return _INTERVAL_DAYS[recurring["interval"]] * recurring["interval_count"]


def scheduled_at_period_end(config: dict[str, Any], item: dict[str, Any], price: dict[str, Any]) -> bool:
    """Does the configuration's ``schedule_at_period_end`` put this switch off to the period's end?"""
    conditions = {c["type"] for c in config["features"]["subscription_update"]["schedule_at_period_end"]["conditions"]}
    current = item["price"]
    return (("decreasing_item_amount" in conditions and price["unit_amount"] < current["unit_amount"])
            or ("shortening_interval" in conditions and _interval_days(price) < _interval_days(current)))


def _switch(scope: billing.Scope, config: dict[str, Any], sub: dict[str, Any], price: dict[str, Any]) -> None:
    """Switch plan as the portal does: at the period's end through a subscription schedule when a
    ``schedule_at_period_end`` condition holds, else now with the configuration's proration."""
    item = sub["items"]["data"][0]
    update = config["features"]["subscription_update"]
    current_schedule = billing.schedule_of(scope, sub)
    if current_schedule is not None:
        billing.release_schedule(scope, current_schedule, sub)
    if sub["status"] == "active" and scheduled_at_period_end(config, item, price):
        billing.set_cancel_at_period_end(scope, sub, False)
        schedule = billing.schedule_from_subscription(scope, sub, application=None, metadata={})
        before = copy.deepcopy(schedule)
        current = schedule["phases"][0]
        later = objects.schedule_phase(items=[{"price": price["id"], "quantity": item["quantity"]}],
                                       currency=sub["currency"], start=current["end_date"],
                                       end=objects.add_interval(current["end_date"], price["recurring"]["interval"],
                                                                price["recurring"]["interval_count"]),
                                       proration_behavior="none")
        schedule["phases"] = [current, later]
        scope.emit("subscription_schedule.updated", schedule, billing.previous_attributes(before, schedule))
        return
    before = copy.deepcopy(sub)
    billing.change_items(scope, sub, [{"id": item["id"], "price": price}])
    if before["status"] == "trialing" and update["trial_update_behavior"] == "end_trial":
        sub["trial_end"] = scope.store.now()
        billing.end_trial(scope, sub)
        return
    billing.apply_item_change(scope, sub, before, proration_behavior=update["proration_behavior"])


def add_card(store: Store, portal_id: str) -> Response:
    """The customer adds a card (the test Visa 4242): it becomes their default payment method."""
    found = _portal_session(store, portal_id)
    if found is None:
        return message_page(404, "Not found", "This billing portal session does not exist.")
    portal, scope, config = found
    if not config["features"]["payment_method_update"]["enabled"]:
        return message_page(403, "Not allowed", "This portal does not offer that action.")
    customer = scope.get(portal["customer"], "customer")
    pm = scope.add(objects.payment_method(store, livemode=scope.livemode, customer_id=customer["id"],
                                          email=customer.get("email")))
    scope.emit("payment_method.attached", pm)
    before = copy.deepcopy(customer)
    customer["invoice_settings"]["default_payment_method"] = pm["id"]
    scope.emit("customer.updated", customer, billing.previous_attributes(before, customer))
    return redirect(f"/portal/{portal_id}", 303)


def _portal_session(store: Store, portal_id: str) -> tuple[dict[str, Any], billing.Scope, dict[str, Any]] | None:
    rec = store.record(portal_id)
    if rec is None or rec.obj.get("object") != "billing_portal.session":
        return None
    config = store.records[rec.obj["configuration"]].obj
    return rec.obj, billing.Scope.of(store, rec), config


def switch_options(store: Store, scope: billing.Scope, config: dict[str, Any],
                   sub: dict[str, Any]) -> list[dict[str, Any]]:
    """The prices this subscription may switch to: only those the configuration lists."""
    update = config["features"]["subscription_update"]
    if not update["enabled"] or "price" not in update["default_allowed_updates"]:
        return []
    current = sub["items"]["data"][0]["price"]
    listed = [price_id for product in update["products"] for price_id in product["prices"]]
    options = []
    for price_id in listed:
        rec = store.record(price_id)
        if rec is None or rec.account != scope.account or rec.livemode != scope.livemode:
            continue
        price = rec.obj
        if price["active"] and price["id"] != current["id"] and price["currency"] == current["currency"]:
            options.append(price)
    return options


def portal_page(store: Store, portal_id: str) -> Response:
    found = _portal_session(store, portal_id)
    if found is None:
        return message_page(404, "Not found", "This billing portal session does not exist.")
    portal, scope, config = found
    features = config["features"]
    account_name = store.account_name(scope.account)
    customer = scope.get(portal["customer"], "customer")
    names = scope.product_names()
    subs = store.find("subscription", account=scope.account, livemode=scope.livemode,
                      where=lambda s: s["customer"] == customer["id"])
    sections = [_subscription_section(portal_id, sub, names, features["subscription_cancel"],
                                      switch_options(store, scope, config, sub), billing.schedule_of(scope, sub))
                for sub in subs]
    extra = ""
    if features["payment_method_update"]["enabled"]:
        extra += _payment_method_section(store, portal_id, customer, subs)
    if features["invoice_history"]["enabled"]:
        invoices = store.find("invoice", account=scope.account, livemode=scope.livemode,
                              where=lambda i: i["customer"] == customer["id"] and i["status"] != "draft")
        extra += _invoice_history(invoices)
    back = (f"<p><a href=\"{esc(portal['return_url'])}\">Return to {esc(account_name)}</a></p>"
            if portal["return_url"] else "")
    headline = config["business_profile"]["headline"]
    body = (
        f"<h1>{esc(account_name)}: billing</h1>"
        "<p class=\"notice\">Stripe stand-in customer portal (test mode).</p>"
        + (f"<p>{esc(headline)}</p>" if headline else "")
        + f"<p>Signed in as <strong>{esc(customer.get('email') or customer['id'])}</strong>.</p>"
        "<h2>Subscriptions</h2>"
        + ("".join(sections) if sections else "<p>You have no subscriptions.</p>")
        + extra
        + back
    )
    return html_response(200, layout(f"{account_name} billing", body))


def _payment_method_section(store: Store, portal_id: str, customer: dict[str, Any],
                            subs: list[dict[str, Any]]) -> str:
    pm_id = customer["invoice_settings"].get("default_payment_method") or next(
        (s["default_payment_method"] for s in subs if s.get("default_payment_method")), None)
    rec = store.record(pm_id) if pm_id else None
    card = rec.obj["card"] if rec else None
    shown = f"{esc(card['brand'].title())} ending in {esc(card['last4'])}" if card else "No payment method on file."
    return (f"<section aria-labelledby=\"payment-method\"><h2 id=\"payment-method\">Payment method</h2>"
            f"<p>{shown}</p><form method=\"post\" action=\"/portal/{esc(portal_id)}/payment_method\">"
            "<button type=\"submit\">Add a card (test Visa 4242)</button></form></section>")


def _invoice_history(invoices: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{esc(date(i['created']))}</td><td>{esc(objects.format_amount(i['total'], i['currency']))}</td>"
        f"<td>{esc(i['status'])}</td><td><a href=\"{esc(i['hosted_invoice_url'])}\">{esc(i['number'])}</a></td></tr>"
        for i in invoices
    )
    return ("<section aria-labelledby=\"invoice-history\"><h2 id=\"invoice-history\">Invoice history</h2>"
            + ("<table><thead><tr><th scope=\"col\">Date</th><th scope=\"col\">Amount</th><th scope=\"col\">Status"
               f"</th><th scope=\"col\">Invoice</th></tr></thead><tbody>{rows}</tbody></table>" if rows
               else "<p>No invoices yet.</p>")
            + "</section>")


def _subscription_section(portal_id: str, sub: dict[str, Any], names: dict[str, str], cancel: dict[str, Any],
                          options: list[dict[str, Any]], schedule: dict[str, Any] | None) -> str:
    item = sub["items"]["data"][0]
    price = item["price"]
    title = ", ".join(names.get(i["price"]["product"], i["price"]["product"]) for i in sub["items"]["data"])
    heading_id = f"title-{sub['id']}"
    amount = objects.format_amount(price["unit_amount"] * item["quantity"], price["currency"])
    if sub["status"] == "canceled":
        state = f"Canceled on {date(sub['ended_at'])}"
    elif sub["cancel_at_period_end"]:
        state = f"Cancels on {date(billing.period_end(sub))}"
    elif sub["status"] == "trialing":
        state = f"Trial ends on {date(sub['trial_end'])}"
    else:
        state = f"Renews on {date(billing.period_end(sub))}"
    later = [p for p in (schedule or {}).get("phases", []) if p["start_date"] >= billing.period_end(sub)]
    if later:
        price_id = later[0]["items"][0]["price"]
        state += f"; switches to the price {price_id} on {date(later[0]['start_date'])}"
    action_base = f"/portal/{esc(portal_id)}/subscriptions/{esc(sub['id'])}"

    def button(action: str, label: str) -> str:
        return (f"<form class=\"inline\" method=\"post\" action=\"{action_base}/{action}\">"
                f"<button type=\"submit\">{esc(label)}</button></form>")

    controls = ""
    if sub["status"] in ("active", "past_due", "trialing"):
        if later:
            controls += button("keep_plan", "Keep current plan")
        if sub["cancel_at_period_end"]:
            controls += button("renew", "Don't cancel (renew)")
        elif cancel["enabled"] and cancel["mode"] == "at_period_end":
            controls += button("cancel_at_period_end", "Cancel at period end")
        if cancel["enabled"] and cancel["mode"] == "immediately":
            controls += button("cancel_now", "Cancel now")
        if options:
            select_id = f"price-{sub['id']}"
            choices = "".join(
                f"<option value=\"{esc(p['id'])}\">{esc(names.get(p['product'], p['product']))}"
                f"{' (' + esc(p['nickname']) + ')' if p['nickname'] else ''} - "
                f"{esc(objects.format_amount(p['unit_amount'], p['currency']))} {esc(billing_period(p))}</option>"
                for p in options
            )
            controls += (
                f"<form method=\"post\" action=\"{action_base}/switch\">"
                f"<label for=\"{select_id}\">New plan</label><select id=\"{select_id}\" name=\"price\">{choices}"
                "</select> <button type=\"submit\">Switch plan</button></form>"
            )
    return (
        f"<section aria-labelledby=\"{heading_id}\"><h3 id=\"{heading_id}\">{esc(title)}</h3>"
        f"<p>{esc(amount)} {esc(billing_period(price))} &middot; Status: <strong>{esc(sub['status'])}</strong>"
        f" &middot; {esc(state)}</p>{controls}</section>"
    )


def portal_action(store: Store, portal_id: str, sub_id: str, action: str, form: dict[str, Any]) -> Response:
    found = _portal_session(store, portal_id)
    if found is None or action not in PORTAL_ACTIONS:
        return message_page(404, "Not found", "This billing portal page does not exist.")
    portal, scope, config = found
    rec = store.record(sub_id)
    if rec is None or rec.obj.get("object") != "subscription" or rec.account != scope.account \
            or rec.obj["customer"] != portal["customer"]:
        return message_page(404, "Not found", "No such subscription for this customer.")
    sub = rec.obj
    if sub["status"] == "canceled":
        return message_page(400, "Subscription canceled", "This subscription has already ended.")
    cancel = config["features"]["subscription_cancel"]
    allowed = {
        "renew": True,
        "cancel_at_period_end": cancel["enabled"] and cancel["mode"] == "at_period_end",
        "cancel_now": cancel["enabled"] and cancel["mode"] == "immediately",
        "switch": True,  # checked against the listed prices below
        "keep_plan": billing.schedule_of(scope, sub) is not None,
    }
    if not allowed[action]:
        return message_page(403, "Not allowed", "This portal does not offer that action.")
    try:
        schedule = billing.schedule_of(scope, sub)
        if action == "keep_plan" and schedule is not None:
            billing.release_schedule(scope, schedule, sub)
        elif action in ("cancel_at_period_end", "renew"):
            if schedule is not None:  # cancelling drops a scheduled switch (the portal releases the schedule)
                billing.release_schedule(scope, schedule, sub)
            billing.set_cancel_at_period_end(scope, sub, action == "cancel_at_period_end")
        elif action == "cancel_now":
            billing.cancel_now(scope, sub)
        else:
            wanted = str(form.get("price", ""))
            price = next((p for p in switch_options(store, scope, config, sub) if p["id"] == wanted), None)
            if price is None:
                return message_page(400, "Plan unavailable", "That plan cannot be selected.")
            _switch(scope, config, sub, price)
    except StripeError as exc:
        return message_page(exc.status if exc.status != 404 else 400, "Could not update subscription", exc.message)
    return redirect(f"/portal/{portal_id}", 303)


# -- invoices ---------------------------------------------------------------------------------------


def invoice_page(store: Store, invoice_id: str) -> Response:
    rec = store.record(invoice_id)
    if rec is None or rec.obj.get("object") != "invoice" or rec.obj["status"] == "draft":
        return message_page(404, "Not found", "This invoice does not exist.")
    invoice = rec.obj
    rows = "".join(
        f"<tr><td>{esc(line['description'])}</td><td>{esc(date(line['period']['start']))} to "
        f"{esc(date(line['period']['end']))}</td><td>{esc(objects.format_amount(line['amount'], line['currency']))}"
        "</td></tr>"
        for line in invoice["lines"]["data"]
    )
    title = f"Invoice {invoice['number']}"
    body = (
        f"<h1>{esc(title)}</h1><p>From {esc(invoice['account_name'])} to {esc(invoice['customer_email'])}. "
        f"Status: <strong>{esc(invoice['status'])}</strong>.</p>"
        "<table><thead><tr><th scope=\"col\">Description</th><th scope=\"col\">Period</th>"
        f"<th scope=\"col\">Amount</th></tr></thead><tbody>{rows}</tbody><tfoot><tr><th scope=\"row\" colspan=\"2\">"
        f"Total</th><td>{esc(objects.format_amount(invoice['total'], invoice['currency']))}</td></tr></tfoot></table>"
    )
    return html_response(200, layout(title, body))


# -- OAuth consent screen -------------------------------------------------------------------------------


def oauth_page(params: dict[str, str], *, error: str | None = None, status: int = 200) -> Response:
    hidden = "".join(
        f"<input type=\"hidden\" name=\"{esc(name)}\" value=\"{esc(params.get(name, ''))}\">"
        for name in ("client_id", "state", "redirect_uri", "scope", "response_type")
    )
    error_html = f"<p class=\"error\" role=\"alert\">{esc(error)}</p>" if error else ""
    email = params.get("stripe_user[email]", "")
    name = params.get("stripe_user[business_name]", "")
    body = (
        "<h1>Connect a stand-in Stripe account</h1>"
        f"<p>The platform <strong>{esc(params.get('client_id', ''))}</strong> asks for "
        f"<strong>{esc(params.get('scope') or 'read_write')}</strong> access to a Stripe account.</p>"
        "<p class=\"notice\">Stripe stand-in (test mode): connecting creates a new Standard account.</p>"
        f"{error_html}"
        "<form method=\"post\" action=\"/oauth/authorize\">"
        f"{hidden}"
        "<label for=\"business_name\">Business name</label>"
        f"<input id=\"business_name\" name=\"business_name\" value=\"{esc(name)}\" autocomplete=\"organization\">"
        "<label for=\"email\">Email</label>"
        f"<input id=\"email\" name=\"email\" type=\"email\" value=\"{esc(email)}\" autocomplete=\"email\">"
        "<p><label><input type=\"checkbox\" name=\"skip_onboarding\" value=\"1\"> Skip the account details for now "
        "(the account can't accept payments until they are filled in)</label></p>"
        "<p><button type=\"submit\" name=\"decision\" value=\"allow\">Connect my Stripe account</button>"
        "<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></p>"
        "</form>"
    )
    return html_response(status, layout("Connect a stand-in Stripe account", body))


def index_page(store: Store) -> Response:
    body = (
        "<h1>Stripe stand-in</h1>"
        "<p>A local imitation of part of the Stripe API. Point stripe-python at this address "
        "(<code>base_addresses={\"api\": url, \"connect\": url}</code>).</p>"
        f"<p>Platform account: <code>{esc(store.platform_account_id)}</code>. "
        "Control API: <a href=\"/_standin/webhooks\">/_standin/webhooks</a>, "
        "<a href=\"/_standin/clock\">/_standin/clock</a>, <a href=\"/_standin/config\">/_standin/config</a>.</p>"
    )
    return html_response(200, layout("Stripe stand-in", body))
