"""Builders for Stripe objects, shaped like the current API version.

The shapes follow Stripe's API reference for the ``dahlia`` API versions:
subscription periods live on the subscription *items*, an invoice points at
its subscription through ``parent.subscription_details`` and at its lines'
prices through ``pricing.price_details``. Fields Stripe removed (the
subscription's top-level ``current_period_*``, the invoice's ``subscription``
and ``paid``) are not emitted; ``tests/stripe_standin/test_shapes.py`` checks
every object against stripe-python's typed resources of the pinned version.

Builders only build dicts; storing them and emitting events is the caller's job.
"""

from __future__ import annotations

import calendar
import copy
import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import Store

ZERO_DECIMAL_CURRENCIES = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)
# Stripe's minimum charge per currency, in minor units (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
MINIMUM_CHARGE = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500, "dkk": 250,
    "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000, "myr": 200, "nok": 300,
    "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}
CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$", "chf": "CHF "}


def format_amount(amount: int, currency: str) -> str:
    """``1000, "usd"`` -> ``"$10.00"`` (for descriptions and the hosted pages)."""
    currency = currency.lower()
    value = f"{amount:,}" if currency in ZERO_DECIMAL_CURRENCIES else f"{amount / 100:,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"


def add_interval(timestamp: int, interval: str, count: int = 1) -> int:
    """Move a unix time forward by ``count`` billing intervals (calendar months/years)."""
    if interval == "day":
        return timestamp + 86400 * count
    if interval == "week":
        return timestamp + 7 * 86400 * count
    months = count * (12 if interval == "year" else 1)
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])  # Jan 31 + 1 month = Feb 28/29
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def list_object(data: list[dict[str, Any]], url: str, has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def deleted(object_id: str, object_type: str) -> dict[str, Any]:
    return {"id": object_id, "object": object_type, "deleted": True}


# -- accounts -------------------------------------------------------------------


def account(
    store: "Store",
    account_id: str,
    *,
    name: str,
    email: str | None,
    connected: bool,
    account_type: str = "standard",
    country: str = "US",
    metadata: dict[str, str] | None = None,
    onboarded: bool = True,
) -> dict[str, Any]:
    now = store.now()
    result = {
        "id": account_id,
        "object": "account",
        "business_profile": {
            "annual_revenue": None,
            "estimated_worker_count": None,
            "mcc": None,
            "name": name,
            "product_description": None,
            "support_address": None,
            "support_email": email,
            "support_phone": None,
            "support_url": None,
            "url": None,
        },
        "business_type": None,
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "controller": (
            {"is_controller": True, "type": "application"} if connected else {"type": "account"}
        ),
        "country": country,
        "created": now,
        "default_currency": "eur" if country not in ("US",) else "usd",
        "details_submitted": True,
        "email": email,
        "external_accounts": list_object([], f"/v1/accounts/{account_id}/external_accounts"),
        "future_requirements": _requirements(),
        "metadata": dict(metadata or {}),
        "payouts_enabled": True,
        "requirements": _requirements(),
        "settings": {
            "bacs_debit_payments": {"display_name": None, "service_user_number": None},
            "branding": {"icon": None, "logo": None, "primary_color": None, "secondary_color": None},
            "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
            "card_payments": {
                "decline_on": {"avs_failure": False, "cvc_failure": False},
                "statement_descriptor_prefix": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "dashboard": {"display_name": name, "timezone": "Etc/UTC"},
            "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": "offer"},
            "payments": {
                "statement_descriptor": name.upper()[:22],
                "statement_descriptor_kana": None,
                "statement_descriptor_kanji": None,
            },
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            },
            "sepa_debit_payments": {},
        },
        "tos_acceptance": {"date": now, "ip": "127.0.0.1", "user_agent": None},
        "type": account_type,
    }
    set_onboarding(result, complete=onboarded)
    return result


# What a new Standard account still owes Stripe when its owner skipped onboarding.
ONBOARDING_REQUIREMENTS = ["business_profile.url", "business_type", "external_account", "tos_acceptance.date"]


def set_onboarding(acct: dict[str, Any], *, complete: bool) -> None:
    """Finished onboarding: charges and payouts enabled. Unfinished: both disabled, details due."""
    acct["charges_enabled"] = acct["payouts_enabled"] = acct["details_submitted"] = complete
    due = [] if complete else list(ONBOARDING_REQUIREMENTS)
    acct["requirements"].update(currently_due=due, eventually_due=list(due), past_due=list(due),
                                disabled_reason=None if complete else "requirements.past_due")


def _requirements() -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": [],
        "disabled_reason": None,
        "errors": [],
        "eventually_due": [],
        "past_due": [],
        "pending_verification": [],
    }


# -- catalogue -------------------------------------------------------------------


def product(store: "Store", *, livemode: bool, product_id: str | None, name: str, description: str | None,
            active: bool, metadata: dict[str, str], images: list[str], url: str | None,
            unit_label: str | None) -> dict[str, Any]:
    now = store.now()
    return {
        "id": product_id or store.new_id("prod_", 14),
        "object": "product",
        "active": active,
        "created": now,
        "default_price": None,
        "description": description,
        "images": images,
        "livemode": livemode,
        "marketing_features": [],
        "metadata": metadata,
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": unit_label,
        "updated": now,
        "url": url,
    }


def price(store: "Store", *, livemode: bool, product_id: str, currency: str, unit_amount: int,
          recurring: dict[str, Any] | None, nickname: str | None, lookup_key: str | None,
          metadata: dict[str, str], active: bool, tax_behavior: str) -> dict[str, Any]:
    return {
        "id": store.new_id("price_"),
        "object": "price",
        "active": active,
        "billing_scheme": "per_unit",
        "created": store.now(),
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": livemode,
        "lookup_key": lookup_key,
        "metadata": metadata,
        "nickname": nickname,
        "product": product_id,
        "recurring": None if recurring is None else {
            "interval": recurring["interval"],
            "interval_count": recurring.get("interval_count", 1),
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        },
        "tax_behavior": tax_behavior,
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time" if recurring is None else "recurring",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def plan_from_price(p: dict[str, Any]) -> dict[str, Any]:
    """The legacy ``plan`` view of a recurring price (still present on subscription items)."""
    recurring = p["recurring"] or {}
    return {
        "id": p["id"],
        "object": "plan",
        "active": p["active"],
        "amount": p["unit_amount"],
        "amount_decimal": p["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": p["created"],
        "currency": p["currency"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count", 1),
        "livemode": p["livemode"],
        "metadata": p["metadata"],
        "meter": None,
        "nickname": p["nickname"],
        "product": p["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def price_label(p: dict[str, Any], product_name: str) -> str:
    """``"Pro (at $10.00 / month)"`` -- Stripe's wording on invoice lines."""
    amount = format_amount(p["unit_amount"], p["currency"])
    recurring = p["recurring"]
    if recurring is None:
        return product_name
    every = recurring["interval"] if recurring["interval_count"] == 1 else \
        f"every {recurring['interval_count']} {recurring['interval']}s"
    return f"{product_name} (at {amount} / {every})"


# -- customers and payments ------------------------------------------------------


def customer(store: "Store", *, livemode: bool, email: str | None, name: str | None, description: str | None,
             phone: str | None, metadata: dict[str, str], address: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": store.new_id("cus_", 14),
        "object": "customer",
        "address": address,
        "balance": 0,
        "created": store.now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": description,
        "discount": None,
        "email": email,
        "invoice_prefix": store.new_id("", 8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": livemode,
        "metadata": metadata,
        "name": name,
        "next_invoice_sequence": 1,
        "phone": phone,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def payment_method(store: "Store", *, livemode: bool, customer_id: str | None, email: str | None) -> dict[str, Any]:
    """The test card Checkout "collected" (Visa 4242)."""
    return {
        "id": store.new_id("pm_"),
        "object": "payment_method",
        "allow_redisplay": "limited",
        "billing_details": {"address": None, "email": email, "name": None, "phone": None, "tax_id": None},
        "card": {
            "brand": "visa",
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": "US",
            "display_brand": "visa",
            "exp_month": 12,
            "exp_year": datetime.datetime.fromtimestamp(store.now(), tz=datetime.timezone.utc).year + 3,
            "fingerprint": store.new_id("", 16),
            "funding": "credit",
            "generated_from": None,
            "last4": "4242",
            "networks": {"available": ["visa"], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": store.now(),
        "customer": customer_id,
        "livemode": livemode,
        "metadata": {},
        "type": "card",
    }


def payment_intent(store: "Store", *, livemode: bool, amount: int, currency: str, customer_id: str | None,
                   payment_method_id: str | None, metadata: dict[str, str], description: str | None,
                   application_fee_amount: int | None = None, receipt_email: str | None = None) -> dict[str, Any]:
    """A PaymentIntent that has already succeeded (Checkout confirmed it)."""
    pi_id = store.new_id("pi_")
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": amount,
        "application": None,
        "application_fee_amount": application_fee_amount,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{pi_id}_secret_{store.new_id('', 25)}",
        "confirmation_method": "automatic",
        "created": store.now(),
        "currency": currency,
        "customer": customer_id,
        "description": description,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": livemode,
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": payment_method_id,
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"installments": None, "mandate_options": None, "network": None,
                                            "request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": receipt_email,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }


def charge(store: "Store", *, livemode: bool, pi: dict[str, Any], pm: dict[str, Any] | None) -> dict[str, Any]:
    charge_id = store.new_id("ch_")
    card = pm["card"] if pm else {}
    return {
        "id": charge_id,
        "object": "charge",
        "amount": pi["amount"],
        "amount_captured": pi["amount"],
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": pi["application_fee_amount"],
        "balance_transaction": None,
        "billing_details": pm["billing_details"] if pm else {
            "address": None, "email": None, "name": None, "phone": None, "tax_id": None},
        "calculated_statement_descriptor": None,
        "captured": True,
        "created": store.now(),
        "currency": pi["currency"],
        "customer": pi["customer"],
        "description": pi["description"],
        "disputed": False,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": livemode,
        "metadata": dict(pi["metadata"]),
        "on_behalf_of": None,
        "outcome": {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                    "seller_message": "Payment complete.", "type": "authorized"},
        "paid": True,
        "payment_intent": pi["id"],
        "payment_method": pm["id"] if pm else None,
        "payment_method_details": {"card": {key: card.get(key) for key in (
            "brand", "country", "exp_month", "exp_year", "fingerprint", "funding", "last4")}, "type": "card"},
        "receipt_email": pi["receipt_email"],
        "receipt_url": None,
        "refunded": False,
        # No "refunds" list: since API 2022-11-15 it appears only when expanded (api.py).
        "status": "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }


def refund(store: "Store", *, livemode: bool, charge: dict[str, Any], amount: int, reason: str | None,
           metadata: dict[str, str]) -> dict[str, Any]:
    """A card refund that has already succeeded (the stand-in has no pending refunds)."""
    return {
        "id": store.new_id("re_"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": store.now(),
        "currency": charge["currency"],
        "destination_details": {
            "card": {"reference": None, "reference_status": "pending", "reference_type": "acquirer_reference_number",
                     "type": "refund"},
            "type": "card",
        },
        "metadata": metadata,
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


# -- checkout and portal -----------------------------------------------------------


def checkout_line_item(store: "Store", p: dict[str, Any], product_name: str, quantity: int) -> dict[str, Any]:
    amount = p["unit_amount"] * quantity
    return {
        "id": store.new_id("li_"),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": p["currency"],
        "description": product_name,
        "price": p,
        "quantity": quantity,
    }


def checkout_session(store: "Store", *, livemode: bool, params: dict[str, Any], currency: str,
                     amount: int, expires_at: int) -> dict[str, Any]:
    session_id = store.new_id("cs_live_" if livemode else "cs_test_", 58)
    mode = params["mode"]
    customer_id = params.get("customer")
    return {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": params.get("allow_promotion_codes"),
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": params.get("billing_address_collection"),
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": store.now(),
        "currency": currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                        "terms_of_service_acceptance": None},
        "customer": customer_id,
        "customer_creation": None if customer_id else (
            "always" if mode == "subscription" else params.get("customer_creation", "if_required")),
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "discounts": [],
        "expires_at": expires_at,
        "invoice": None,
        "invoice_creation": None,
        "livemode": livemode,
        "locale": params.get("locale"),
        "metadata": params.get("metadata", {}),
        "mode": mode,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": params.get("payment_method_collection", "always"),
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": params.get("payment_method_types") or ["card"],
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": params.get("submit_type"),
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted_page",
        "url": f"{store.config.public_base}/checkout/{session_id}",
        "wallet_options": None,
    }


def portal_session(store: "Store", *, livemode: bool, customer_id: str, return_url: str | None,
                   configuration: str, locale: str | None) -> dict[str, Any]:
    session_id = store.new_id("bps_")
    return {
        "id": session_id,
        "object": "billing_portal.session",
        "configuration": configuration,
        "customer_account": None,
        "created": store.now(),
        "customer": customer_id,
        "flow": None,
        "livemode": livemode,
        "locale": locale,
        "on_behalf_of": None,
        "return_url": return_url,
        "url": f"{store.config.public_base}/portal/{session_id}",
    }


# -- subscriptions and invoices ------------------------------------------------------


def subscription_item(store: "Store", *, p: dict[str, Any], quantity: int, subscription_id: str,
                      period_start: int, period_end: int) -> dict[str, Any]:
    return {
        "id": store.new_id("si_", 14),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": store.now(),
        "current_period_end": period_end,
        "current_period_start": period_start,
        "discounts": [],
        "metadata": {},
        "plan": plan_from_price(p),
        "price": p,
        "quantity": quantity,
        "subscription": subscription_id,
        "tax_rates": [],
    }


def subscription(store: "Store", *, sub_id: str, livemode: bool, customer_id: str, currency: str,
                 items: list[dict[str, Any]], period_start: int, period_end: int, metadata: dict[str, str],
                 description: str | None, default_payment_method: str | None,
                 application_fee_percent: float | None = None) -> dict[str, Any]:
    now = store.now()
    return {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": application_fee_percent,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": period_start,
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic"},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": now,
        "currency": currency,
        "customer": customer_id,
        "days_until_due": None,
        "default_payment_method": default_payment_method,
        "default_source": None,
        "default_tax_rates": [],
        "description": description,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": list_object(items, f"/v1/subscription_items?subscription={sub_id}"),
        "latest_invoice": None,
        "livemode": livemode,
        "metadata": metadata,
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                             "save_default_payment_method": "off"},
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": now,
        # Checkout creates it incomplete; paying the first invoice makes it active.
        "status": "incomplete",
        "test_clock": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
    }


def invoice_line(store: "Store", *, invoice_id: str, item: dict[str, Any], product_name: str,
                 livemode: bool, trial: bool = False) -> dict[str, Any]:
    """A line for a subscription item's period; during a trial it is free ("Trial period for Pro")."""
    p = item["price"]
    amount = 0 if trial else p["unit_amount"] * item["quantity"]
    description = (f"Trial period for {product_name}" if trial
                   else f"{item['quantity']} × {price_label(p, product_name)}")
    return {
        "id": store.new_id("il_"),
        "object": "line_item",
        "amount": amount,
        "currency": p["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": livemode,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": item["subscription"],
                "subscription_item": item["id"],
            },
            "type": "subscription_item_details",
        },
        "period": {"end": item["current_period_end"], "start": item["current_period_start"]},
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": p["id"], "product": p["product"]},
            "type": "price_details",
            "unit_amount_decimal": p["unit_amount_decimal"],
        },
        "quantity": item["quantity"],
        "subtotal": amount,
        "taxes": [],
    }


def invoice_item(store: "Store", *, livemode: bool, customer_id: str, sub: dict[str, Any], item: dict[str, Any],
                 price: dict[str, Any], amount: int, description: str, period: tuple[int, int]) -> dict[str, Any]:
    """A pending proration (``proration: true``): credit for unused time on the old price (negative)
    or the remaining time on the new one; the next invoice of the subscription takes it over."""
    return {
        "id": store.new_id("ii_"),
        "object": "invoiceitem",
        "amount": amount,
        "currency": price["currency"],
        "customer": customer_id,
        "date": store.now(),
        "description": description,
        "discountable": False,
        "discounts": [],
        "invoice": None,
        "livemode": livemode,
        "metadata": {},
        "net_amount": amount,
        "parent": {
            "subscription_details": {"subscription": sub["id"], "subscription_item": item["id"]},
            "type": "subscription_details",
        },
        "period": {"end": period[1], "start": period[0]},
        "pricing": {
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": str(amount),
        },
        "proration": True,
        "proration_details": {"credited_items": None, "discount_amounts": []},
        "quantity": 1,
        "quantity_decimal": "1",
        "tax_rates": [],
        "test_clock": None,
    }


def invoice_item_line(store: "Store", *, invoice_id: str, ii: dict[str, Any]) -> dict[str, Any]:
    """The invoice line of an invoice item (a proration)."""
    details = ii["parent"]["subscription_details"]
    return {
        "id": store.new_id("il_"),
        "object": "line_item",
        "amount": ii["amount"],
        "currency": ii["currency"],
        "description": ii["description"],
        "discount_amounts": [],
        "discountable": ii["discountable"],
        "discounts": [],
        "invoice": invoice_id,
        "livemode": ii["livemode"],
        "metadata": {},
        "parent": {
            "invoice_item_details": {
                "invoice_item": ii["id"],
                "proration": ii["proration"],
                "proration_details": {"credited_items": None},
                "subscription": details["subscription"],
            },
            "subscription_item_details": None,
            "type": "invoice_item_details",
        },
        "period": dict(ii["period"]),
        "pretax_credit_amounts": [],
        "pricing": copy.deepcopy(ii["pricing"]),
        "quantity": ii["quantity"],
        "subtotal": ii["amount"],
        "taxes": [],
    }


def invoice(store: "Store", *, livemode: bool, customer: dict[str, Any], sub: dict[str, Any],
            billing_reason: str, account_name: str, account_country: str,
            product_names: dict[str, str], invoice_items: list[dict[str, Any]] | None = None,
            with_items: bool = True, trial: bool = False) -> dict[str, Any]:
    """A draft invoice (callers finalize and pay it): the subscription's items for the current period
    (unless ``with_items`` is false, as for an invoice of prorations only) and the pending
    ``invoice_items`` (prorations), which this invoice takes over."""
    invoice_id = store.new_id("in_")
    names = product_names
    lines = [
        invoice_line(store, invoice_id=invoice_id, item=item, product_name=names.get(item["price"]["product"], ""),
                     livemode=livemode, trial=trial)
        for item in (sub["items"]["data"] if with_items else [])
    ]
    for ii in invoice_items or []:
        ii["invoice"] = invoice_id
        lines.append(invoice_item_line(store, invoice_id=invoice_id, ii=ii))
    total = sum(line["amount"] for line in lines)
    now = store.now()
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": account_country,
        "account_name": account_name,
        "account_tax_ids": None,
        "amount_due": total,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": total,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None, "provider": None,
                          "status": None},
        "automatically_finalizes_at": None,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "confirmation_secret": None,
        "created": now,
        "currency": sub["currency"],
        "custom_fields": None,
        "customer": customer["id"],
        "customer_address": customer["address"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": customer["phone"],
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": list_object(lines, f"/v1/invoices/{invoice_id}/lines"),
        "livemode": livemode,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {"metadata": dict(sub["metadata"]), "subscription": sub["id"]},
            "type": "subscription_details",
        },
        "payment_settings": {"default_mandate": None, "payment_method_options": None,
                             "payment_method_types": None},
        "period_end": now,
        "period_start": now,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None,
                               "voided_at": None},
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "test_clock": None,
        "threshold_reason": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    }


# -- subscription schedules -------------------------------------------------------------


def schedule_phase(*, items: list[dict[str, Any]], currency: str, start: int, end: int,
                   proration_behavior: str, metadata: dict[str, str] | None = None) -> dict[str, Any]:
    """One phase: from ``start`` to ``end``, the subscription has these items (prices by id)."""
    return {
        "add_invoice_items": [],
        "application_fee_percent": None,
        "automatic_tax": None,
        "billing_cycle_anchor": None,
        "billing_thresholds": None,
        "collection_method": None,
        "currency": currency,
        "default_payment_method": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "end_date": end,
        "invoice_settings": None,
        "items": [
            {"billing_thresholds": None, "discounts": [], "metadata": {}, "plan": item["price"],
             "price": item["price"], "quantity": item.get("quantity", 1), "tax_rates": []}
            for item in items
        ],
        "metadata": dict(metadata or {}),
        "on_behalf_of": None,
        "proration_behavior": proration_behavior,
        "start_date": start,
        "transfer_data": None,
        "trial_end": None,
    }


def subscription_schedule(store: "Store", *, livemode: bool, sub: dict[str, Any], phases: list[dict[str, Any]],
                          application: str | None) -> dict[str, Any]:
    """A schedule managing ``sub`` (created with ``from_subscription``), active in its first phase."""
    return {
        "id": store.new_id("sub_sched_"),
        "object": "subscription_schedule",
        "application": application,
        "billing_mode": copy.deepcopy(sub["billing_mode"]),
        "canceled_at": None,
        "completed_at": None,
        "created": store.now(),
        "current_phase": {"end_date": phases[0]["end_date"], "start_date": phases[0]["start_date"]},
        "customer": sub["customer"],
        "default_settings": {
            "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": "automatic",
            "billing_thresholds": None,
            "collection_method": "charge_automatically",
            "default_payment_method": None,
            "description": None,
            "invoice_settings": {"account_tax_ids": None, "custom_fields": None, "days_until_due": None,
                                 "description": None, "footer": None, "issuer": {"type": "self"}},
            "on_behalf_of": None,
            "transfer_data": None,
        },
        "end_behavior": "release",
        "livemode": livemode,
        "metadata": {},
        "phases": phases,
        "released_at": None,
        "released_subscription": None,
        "status": "active",
        "subscription": sub["id"],
        "test_clock": None,
    }


# -- events -------------------------------------------------------------------------


def event(store: "Store", event_type: str, obj: dict[str, Any], *, account: str | None, livemode: bool,
          previous_attributes: dict[str, Any] | None, request: tuple[str | None, str | None]) -> dict[str, Any]:
    config = store.config
    endpoint = config.connect_webhook_url if account else config.platform_webhook_url
    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    result: dict[str, Any] = {"id": store.new_id("evt_"), "object": "event"}
    if account:
        result["account"] = account  # only events of connected accounts carry it
    result.update({
        "api_version": config.api_version,
        "created": store.now(),
        "data": data,
        "livemode": livemode,
        "pending_webhooks": 1 if endpoint else 0,
        "request": {"id": request[0], "idempotency_key": request[1]},
        "type": event_type,
    })
    return result
