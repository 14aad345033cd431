"""The ``/v1`` REST endpoints.

Each handler receives a :class:`Ctx` (already authenticated, namespace chosen)
plus the ids captured from the path, validates its parameters with a spec from
:mod:`forms`, and returns the response object. Expansion is applied afterwards
by :func:`dispatch`. Handlers run with ``store.lock`` held.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from . import billing, forms, objects
from .errors import StripeError, invalid, parameter_missing, resource_missing
from .forms import anything, array, boolean, hash_of, integer, metadata, nullable, number, string, unsupported, url
from .query import LIST_SPEC, Expander, paginate
from .store import AccountState, Store


@dataclass
class Ctx:
    store: Store
    api_key: str
    account: str | None  # namespace: None = the platform, else a connected account id
    livemode: bool
    method: str
    path: str
    raw_params: dict[str, Any]
    request_id: str
    idempotency_key: str | None = None
    expand: list[str] = field(default_factory=list)

    def clean(self, spec: forms.Spec, *, listing: bool = False) -> dict[str, Any]:
        full = {**LIST_SPEC, **spec} if listing else spec
        params = forms.clean(self.raw_params, full)
        self.expand = params.pop("expand", [])
        return params

    @property
    def scope(self) -> billing.Scope:
        return billing.Scope(self.store, self.account, self.livemode, (self.request_id, self.idempotency_key))

    def get(self, object_id: str, object_type: str, *, label: str | None = None, param: str = "id",
            allow_deleted: bool = False) -> dict[str, Any]:
        return self.store.get(object_id, account=self.account, livemode=self.livemode, object_type=object_type,
                              label=label, param=param, allow_deleted=allow_deleted)

    def find(self, object_type: str, where: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
        return self.store.find(object_type, account=self.account, livemode=self.livemode, where=where)

    def emit(self, event_type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
        self.scope.emit(event_type, obj, previous)


Handler = Callable[..., dict[str, Any]]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler; ``{name}`` in the pattern captures one path segment."""
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

    def register(handler: Handler) -> Handler:
        _ROUTES.append((method, regex, handler))
        return handler

    return register


def dispatch(ctx: Ctx) -> dict[str, Any]:
    for method, regex, handler in _ROUTES:
        match = regex.match(ctx.path)
        if match and method == ctx.method:
            body = handler(ctx, **match.groupdict())
            if ctx.expand:
                body = Expander(ctx.store, ctx.account, ctx.livemode).expand(body, ctx.expand)
            return body
    raise StripeError(
        404,
        f"Unrecognized request URL ({ctx.method}: {ctx.path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
    )


def masked(key: str) -> str:
    return key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else key


def no_access(api_key: str, account_id: str) -> StripeError:
    return StripeError(
        403,
        f"The provided key '{masked(api_key)}' does not have access to account '{account_id}' "
        "(or that account does not exist). Application access may have been revoked.",
        code="account_invalid",
    )


def _list(ctx: Ctx, items: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
    return paginate(items, params, url)


def _require(params: dict[str, Any], *names: str) -> None:
    for name in names:
        if params.get(name) in (None, ""):
            raise parameter_missing(name)


def _set_fields(target: dict[str, Any], params: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name in params:
            target[name] = params[name]


# -- accounts ----------------------------------------------------------------------------------


@route("GET", "/v1/account")
def retrieve_own_account(ctx: Ctx) -> dict[str, Any]:
    ctx.clean({})
    return ctx.store.accounts[ctx.account or ctx.store.platform_account_id].obj


@route("GET", "/v1/accounts/{account_id}")
def retrieve_account(ctx: Ctx, account_id: str) -> dict[str, Any]:
    ctx.clean({})
    store = ctx.store
    state = store.active_account(account_id)
    platform_key = ctx.account is None or ctx.account == store.platform_account_id
    if state is None:
        raise no_access(ctx.api_key, account_id)
    if account_id == (ctx.account or store.platform_account_id) or (platform_key and state.connected):
        return state.obj
    raise no_access(ctx.api_key, account_id)


@route("GET", "/v1/accounts")
def list_accounts(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"created": anything()}, listing=True)
    if ctx.account is not None:
        return objects.list_object([], "/v1/accounts")
    connected = [s.obj for s in ctx.store.accounts.values() if s.connected and not s.deauthorized]
    connected.sort(key=lambda a: a["created"], reverse=True)
    return _list(ctx, connected, params, "/v1/accounts")


ACCOUNT_CREATE = {
    "type": string(choices=("standard", "express", "custom")),
    "email": string(max_length=800),
    "country": string(max_length=2),
    "metadata": metadata(),
    "business_profile": hash_of({"name": string(), "url": string(), "support_email": string(),
                                 "product_description": string(), "mcc": string()}),
    "business_type": string(choices=("company", "individual", "non_profit", "government_entity")),
    "capabilities": anything(),
    "controller": anything(),
    "default_currency": string(max_length=3),
}


@route("POST", "/v1/accounts")
def create_account(ctx: Ctx) -> dict[str, Any]:
    """Create a connected account directly (handy for tests; OAuth is the other way in)."""
    params = ctx.clean(ACCOUNT_CREATE)
    if ctx.account is not None:
        raise StripeError(403, "Only the platform can create connected accounts.", type="invalid_request_error")
    store = ctx.store
    profile = params.get("business_profile", {})
    acct = objects.account(store, store.new_id("acct_", 16), name=profile.get("name") or "Connected account",
                           email=params.get("email"), connected=True, account_type=params.get("type", "standard"),
                           country=(params.get("country") or "US").upper(), metadata=params.get("metadata") or {})
    if "default_currency" in params:
        acct["default_currency"] = params["default_currency"].lower()
    store.accounts[acct["id"]] = AccountState(obj=acct, connected=True)
    return acct


# -- products -------------------------------------------------------------------------------------

PRODUCT_FIELDS = {
    "name": string(blank=False, max_length=250),
    "description": nullable(string(max_length=40000)),
    "active": boolean(),
    "metadata": metadata(),
    "images": array(string(max_length=2048), max_items=8),
    "url": nullable(url()),
    "unit_label": nullable(string(max_length=12)),
    "statement_descriptor": nullable(string(max_length=22)),
    "tax_code": nullable(string()),
    "shippable": boolean(),
}


@route("POST", "/v1/products")
def create_product(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({**PRODUCT_FIELDS, "id": string(max_length=255, blank=False),
                        "default_price_data": unsupported("Create the Price with POST /v1/prices.")})
    _require(params, "name")
    product = objects.product(
        ctx.store, livemode=ctx.livemode, product_id=params.get("id"), name=params["name"],
        description=params.get("description"), active=params.get("active", True),
        metadata=forms.merge_metadata({}, params.get("metadata") or {}), images=params.get("images", []),
        url=params.get("url"), unit_label=params.get("unit_label"),
    )
    _set_fields(product, params, ("statement_descriptor", "tax_code", "shippable"))
    if params.get("id") and ctx.store.record(params["id"]):
        raise StripeError(400, "Product already exists.", code="resource_already_exists", param="id")
    ctx.scope.add(product)
    ctx.emit("product.created", product)
    return product


@route("GET", "/v1/products")
def list_products(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"active": boolean(), "ids": array(string()), "shippable": boolean(), "url": string()},
                       listing=True)

    def keep(p: dict[str, Any]) -> bool:
        return all((
            "active" not in params or p["active"] == params["active"],
            "ids" not in params or p["id"] in params["ids"],
            "shippable" not in params or p["shippable"] == params["shippable"],
            "url" not in params or p["url"] == params["url"],
        ))

    return _list(ctx, ctx.find("product", keep), params, "/v1/products")


@route("GET", "/v1/products/{product_id}")
def retrieve_product(ctx: Ctx, product_id: str) -> dict[str, Any]:
    ctx.clean({})
    return ctx.get(product_id, "product")


@route("POST", "/v1/products/{product_id}")
def update_product(ctx: Ctx, product_id: str) -> dict[str, Any]:
    params = ctx.clean({**PRODUCT_FIELDS, "default_price": nullable(string())})
    product = ctx.get(product_id, "product")
    before = copy.deepcopy(product)
    if params.get("default_price"):
        price = ctx.get(params["default_price"], "price", param="default_price")
        if price["product"] != product_id:
            raise invalid("default_price", "The default price must belong to this product.")
    if "metadata" in params:
        product["metadata"] = forms.merge_metadata(product["metadata"], params.pop("metadata"))
    _set_fields(product, params, tuple(k for k in params if k != "metadata"))
    changed = billing.previous_attributes(before, product)
    if changed:
        product["updated"] = ctx.store.now()
        ctx.emit("product.updated", product, changed)
    return product


@route("DELETE", "/v1/products/{product_id}")
def delete_product(ctx: Ctx, product_id: str) -> dict[str, Any]:
    ctx.clean({})
    product = ctx.get(product_id, "product")
    if ctx.find("price", lambda p: p["product"] == product_id):
        raise StripeError(400, "This product cannot be deleted because it has one or more user-created prices.",
                          param="id")
    _mark_deleted(ctx, product)
    ctx.emit("product.deleted", product)
    return objects.deleted(product_id, "product")


@route("GET", "/v1/products/{product_id}/features")
def list_product_features(ctx: Ctx, product_id: str) -> dict[str, Any]:
    """Entitlement features are not simulated: always an empty list (dj-stripe asks on every product sync)."""
    params = ctx.clean({}, listing=True)
    ctx.get(product_id, "product")
    return _list(ctx, [], params, f"/v1/products/{product_id}/features")


def _mark_deleted(ctx: Ctx, obj: dict[str, Any]) -> None:
    rec = ctx.store.record(obj["id"])
    assert rec is not None
    rec.deleted = True


# -- prices ----------------------------------------------------------------------------------------

RECURRING = hash_of({
    "interval": string(choices=("day", "week", "month", "year")),
    "interval_count": integer(minimum=1),
    "usage_type": string(choices=("licensed",)),
    "trial_period_days": unsupported("Trials are not simulated."),
    "meter": unsupported("Metered billing is not simulated."),
})
MAX_INTERVAL_COUNT = {"day": 365, "week": 52, "month": 12, "year": 1}


@route("POST", "/v1/prices")
def create_price(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({
        "product": string(blank=False),
        "product_data": hash_of({"name": string(blank=False), "active": boolean(), "metadata": metadata(),
                                 "unit_label": string(max_length=12), "id": string(),
                                 "statement_descriptor": string(max_length=22), "tax_code": string()}),
        "currency": string(max_length=3, blank=False),
        "unit_amount": integer(minimum=0, maximum=99_999_999),
        "recurring": RECURRING,
        "nickname": string(),
        "lookup_key": string(max_length=200),
        "transfer_lookup_key": boolean(),
        "metadata": metadata(),
        "active": boolean(),
        "tax_behavior": string(choices=("exclusive", "inclusive", "unspecified")),
        "billing_scheme": string(choices=("per_unit",)),
        "unit_amount_decimal": unsupported("Use unit_amount (an integer in the smallest currency unit)."),
        "custom_unit_amount": unsupported("Pay-what-you-want prices are not simulated."),
        "tiers": unsupported("Tiered prices are not simulated."),
        "tiers_mode": unsupported("Tiered prices are not simulated."),
        "currency_options": unsupported(""),
        "transform_quantity": unsupported(""),
    })
    _require(params, "currency")
    currency = params["currency"].lower()
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise invalid("currency", f"Invalid currency: {params['currency']}.")
    if "unit_amount" not in params:
        raise parameter_missing("unit_amount")
    if "product" in params and "product_data" in params:
        raise invalid("product", "You may only specify one of these parameters: product, product_data.")
    recurring = params.get("recurring")
    if recurring is not None:
        if "interval" not in recurring:
            raise parameter_missing("recurring[interval]")
        count = recurring.setdefault("interval_count", 1)
        if count > MAX_INTERVAL_COUNT[recurring["interval"]]:
            raise invalid("recurring[interval_count]",
                          "The maximum billing interval is one year (1 year, 12 months, or 52 weeks).")
    if "product_data" in params:
        data = params["product_data"]
        if not data.get("name"):
            raise parameter_missing("product_data[name]")
        product = objects.product(ctx.store, livemode=ctx.livemode, product_id=data.get("id"), name=data["name"],
                                  description=None, active=data.get("active", True),
                                  metadata=forms.merge_metadata({}, data.get("metadata") or {}), images=[], url=None,
                                  unit_label=data.get("unit_label"))
        ctx.scope.add(product)
        ctx.emit("product.created", product)
    elif "product" in params:
        product = ctx.get(params["product"], "product", param="product")
    else:
        raise parameter_missing("product", "You must specify either `product` or `product_data` when creating a price.")
    _claim_lookup_key(ctx, params.get("lookup_key"), params.get("transfer_lookup_key", False))
    price = objects.price(
        ctx.store, livemode=ctx.livemode, product_id=product["id"], currency=currency,
        unit_amount=params["unit_amount"], recurring=recurring, nickname=params.get("nickname"),
        lookup_key=params.get("lookup_key"), metadata=forms.merge_metadata({}, params.get("metadata") or {}),
        active=params.get("active", True), tax_behavior=params.get("tax_behavior", "unspecified"),
    )
    ctx.scope.add(price)
    ctx.emit("price.created", price)
    return price


def _claim_lookup_key(ctx: Ctx, lookup_key: str | None, transfer: bool, owner: str | None = None) -> None:
    """Lookup keys are unique per account; ``transfer_lookup_key`` moves one to the new price."""
    if not lookup_key:
        return
    for other in ctx.find("price", lambda p: p["lookup_key"] == lookup_key and p["id"] != owner):
        if not transfer:
            raise invalid("lookup_key", f"A price (`{other['id']}`) already uses that lookup key.")
        before = copy.deepcopy(other)
        other["lookup_key"] = None
        ctx.emit("price.updated", other, billing.previous_attributes(before, other))


@route("GET", "/v1/prices")
def list_prices(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({
        "product": string(), "active": boolean(), "type": string(choices=("one_time", "recurring")),
        "currency": string(), "lookup_keys": array(string(), max_items=10),
        "recurring": hash_of({"interval": string(choices=("day", "week", "month", "year")),
                              "usage_type": string(choices=("licensed", "metered")), "meter": string()}),
        "created": anything(),
    }, listing=True)

    def keep(p: dict[str, Any]) -> bool:
        recurring = params.get("recurring", {})
        return all((
            "product" not in params or p["product"] == params["product"],
            "active" not in params or p["active"] == params["active"],
            "type" not in params or p["type"] == params["type"],
            "currency" not in params or p["currency"] == params["currency"].lower(),
            "lookup_keys" not in params or p["lookup_key"] in params["lookup_keys"],
            "interval" not in recurring or (p["recurring"] or {}).get("interval") == recurring["interval"],
        ))

    return _list(ctx, ctx.find("price", keep), params, "/v1/prices")


@route("GET", "/v1/prices/{price_id}")
def retrieve_price(ctx: Ctx, price_id: str) -> dict[str, Any]:
    ctx.clean({})
    return ctx.get(price_id, "price")


@route("POST", "/v1/prices/{price_id}")
def update_price(ctx: Ctx, price_id: str) -> dict[str, Any]:
    # Amount, currency, product and recurring are immutable: they are simply not
    # update parameters, so Stripe (and we) answer parameter_unknown.
    params = ctx.clean({
        "active": boolean(), "metadata": metadata(), "nickname": nullable(string()),
        "lookup_key": nullable(string(max_length=200)), "transfer_lookup_key": boolean(),
        "tax_behavior": string(choices=("exclusive", "inclusive", "unspecified")),
    })
    price = ctx.get(price_id, "price")
    before = copy.deepcopy(price)
    if params.get("lookup_key"):
        _claim_lookup_key(ctx, params["lookup_key"], params.get("transfer_lookup_key", False), owner=price_id)
    if "metadata" in params:
        price["metadata"] = forms.merge_metadata(price["metadata"], params["metadata"])
    _set_fields(price, params, ("active", "nickname", "lookup_key", "tax_behavior"))
    changed = billing.previous_attributes(before, price)
    if changed:
        ctx.emit("price.updated", price, changed)
    return price


# -- customers -----------------------------------------------------------------------------------

CUSTOMER_FIELDS = {
    "email": nullable(string(max_length=512)),
    "name": nullable(string(max_length=256)),
    "description": nullable(string(max_length=350)),
    "phone": nullable(string(max_length=20)),
    "metadata": metadata(),
    "address": nullable(hash_of({k: string() for k in ("city", "country", "line1", "line2", "postal_code",
                                                        "state")})),
    "preferred_locales": array(string()),
    "shipping": anything(),
    "tax_exempt": nullable(string(choices=("none", "exempt", "reverse"))),
    "invoice_settings": hash_of({"default_payment_method": nullable(string()), "footer": nullable(string()),
                                 "custom_fields": anything(), "rendering_options": anything()}),
}


@route("POST", "/v1/customers")
def create_customer(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({**CUSTOMER_FIELDS, "payment_method": unsupported("Payment methods are collected by the "
                                                                         "hosted Checkout page.")})
    customer = objects.customer(ctx.store, livemode=ctx.livemode, email=params.get("email"), name=params.get("name"),
                                description=params.get("description"), phone=params.get("phone"),
                                metadata=forms.merge_metadata({}, params.get("metadata") or {}),
                                address=params.get("address"))
    _apply_customer_fields(ctx, customer, params)
    ctx.scope.add(customer)
    ctx.emit("customer.created", customer)
    return customer


def _apply_customer_fields(ctx: Ctx, customer: dict[str, Any], params: dict[str, Any]) -> None:
    if "metadata" in params:
        customer["metadata"] = forms.merge_metadata(customer["metadata"], params["metadata"])
    _set_fields(customer, params, ("email", "name", "description", "phone", "address", "preferred_locales",
                                   "shipping"))
    if "tax_exempt" in params:
        customer["tax_exempt"] = params["tax_exempt"] or "none"
    settings = params.get("invoice_settings", {})
    if settings.get("default_payment_method"):
        ctx.get(settings["default_payment_method"], "payment_method",
                param="invoice_settings[default_payment_method]")
    customer["invoice_settings"].update(settings)


@route("GET", "/v1/customers")
def list_customers(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"email": string(max_length=512), "created": anything(), "test_clock": string()},
                       listing=True)
    email = params.get("email")
    # Stripe's email filter is an exact, case-sensitive match.
    return _list(ctx, ctx.find("customer", lambda c: email is None or c["email"] == email), params,
                 "/v1/customers")


@route("GET", "/v1/customers/{customer_id}")
def retrieve_customer(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    ctx.clean({})
    customer = ctx.get(customer_id, "customer", allow_deleted=True)
    rec = ctx.store.record(customer_id)
    return objects.deleted(customer_id, "customer") if rec and rec.deleted else customer


@route("POST", "/v1/customers/{customer_id}")
def update_customer(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    params = ctx.clean(CUSTOMER_FIELDS)
    customer = ctx.get(customer_id, "customer")
    before = copy.deepcopy(customer)
    _apply_customer_fields(ctx, customer, params)
    changed = billing.previous_attributes(before, customer)
    if changed:
        ctx.emit("customer.updated", customer, changed)
    return customer


@route("DELETE", "/v1/customers/{customer_id}")
def delete_customer(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    ctx.clean({})
    customer = ctx.get(customer_id, "customer")
    # Deleting a customer cancels its subscriptions immediately.
    for sub in ctx.find("subscription", lambda s: s["customer"] == customer_id and s["status"] != "canceled"):
        billing.cancel_now(ctx.scope, sub)
    _mark_deleted(ctx, customer)
    ctx.emit("customer.deleted", customer)
    return objects.deleted(customer_id, "customer")


# -- Checkout ----------------------------------------------------------------------------------------

CHECKOUT_CREATE = {
    "mode": string(choices=("payment", "subscription", "setup")),
    "line_items": array(hash_of({
        "price": string(blank=False),
        "quantity": integer(minimum=1, maximum=999_999),
        "adjustable_quantity": anything(),
        "tax_rates": array(string()),
        "dynamic_tax_rates": array(string()),
        "price_data": unsupported("Create a Price first and pass line_items[][price]."),
    })),
    "customer": string(blank=False),
    "customer_email": string(max_length=800),
    "customer_creation": string(choices=("always", "if_required")),
    "client_reference_id": string(max_length=200),
    "metadata": metadata(),
    "subscription_data": hash_of({
        "metadata": metadata(), "description": string(max_length=500),
        "application_fee_percent": number(minimum=0, maximum=100),
        "trial_period_days": integer(minimum=1, maximum=730),
        "trial_end": integer(),
        "trial_settings": hash_of({"end_behavior": hash_of({"missing_payment_method": string(
            choices=("cancel", "create_invoice", "pause"))})}),
    }),
    "payment_method_collection": string(choices=("always", "if_required")),
    "payment_intent_data": hash_of({
        "metadata": metadata(), "description": string(max_length=1000),
        "application_fee_amount": integer(minimum=0), "receipt_email": string(),
        "statement_descriptor": string(max_length=22), "statement_descriptor_suffix": string(max_length=22),
        "setup_future_usage": string(choices=("off_session", "on_session")),
        "capture_method": string(choices=("automatic", "automatic_async")),
        "transfer_data": anything(), "on_behalf_of": string(),
    }),
    "success_url": url(),
    "cancel_url": url(),
    "allow_promotion_codes": boolean(),
    "expires_at": integer(),
    "payment_method_types": array(string()),
    "locale": string(),
    "billing_address_collection": string(choices=("auto", "required")),
    "submit_type": string(choices=("auto", "book", "donate", "pay", "subscribe")),
    "ui_mode": string(choices=("hosted_page",)),
    "automatic_tax": hash_of({"enabled": boolean()}),
    "tax_id_collection": hash_of({"enabled": boolean()}),
    "consent_collection": anything(),
    "custom_text": anything(),
    "discounts": unsupported("Coupons are not simulated; use allow_promotion_codes."),
}


@route("POST", "/v1/checkout/sessions")
def create_checkout_session(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean(CHECKOUT_CREATE)
    store = ctx.store
    _require(params, "mode")
    mode = params["mode"]
    if mode == "setup":
        raise invalid("mode", "The Stripe stand-in supports mode=payment and mode=subscription only.")
    if not params.get("line_items"):
        raise parameter_missing("line_items", f"`line_items` is required in `{mode}` mode.")
    if "customer" in params and "customer_email" in params:
        raise invalid("customer_email", "You may only specify one of these parameters: customer, customer_email.")
    if "customer" in params:
        ctx.get(params["customer"], "customer", param="customer")
    if mode == "payment" and "subscription_data" in params:
        raise invalid("subscription_data", "You can not pass `subscription_data` in `payment` mode.")
    if mode == "subscription":
        for name in ("payment_intent_data", "customer_creation"):
            if name in params:
                raise invalid(name, f"You can not pass `{name}` in `subscription` mode.")
    elif "payment_method_collection" in params:
        raise invalid("payment_method_collection", "`payment_method_collection` can only be set in `subscription` "
                                                   "mode.")
    sub_data = params.get("subscription_data", {})
    if "trial_end" in sub_data and "trial_period_days" in sub_data:
        raise invalid("subscription_data[trial_end]", "You may only specify one of these parameters: "
                                                      "subscription_data[trial_end], subscription_data[trial_period_days].")
    if "trial_end" in sub_data and sub_data["trial_end"] < store.now() + 48 * 3600:
        raise invalid("subscription_data[trial_end]", "`subscription_data[trial_end]` must be at least 48 hours in the "
                                                      "future.")
    trial = "trial_end" in sub_data or "trial_period_days" in sub_data

    line_items, currency, interval = [], None, None
    for index, line in enumerate(params["line_items"]):
        param = f"line_items[{index}]"
        if "price" not in line:
            raise parameter_missing(f"{param}[price]")
        if "quantity" not in line:
            raise parameter_missing(f"{param}[quantity]", f"Quantity is required. Add `quantity` to `{param}`.")
        price = ctx.get(line["price"], "price", param=f"{param}[price]")
        if not price["active"]:
            raise invalid(f"{param}[price]", "The price specified is inactive. This field only accepts active prices.")
        if mode == "payment" and price["type"] == "recurring":
            raise invalid(f"{param}[price]", "You specified `payment` mode but passed a recurring price. Either "
                          "switch to `subscription` mode or use only one-time prices.")
        if mode == "subscription" and price["type"] != "recurring":
            raise invalid(f"{param}[price]", "In `subscription` mode every line item needs a recurring price "
                          "(the stand-in does not add one-time prices to the first invoice).")
        if currency not in (None, price["currency"]):
            raise invalid(f"{param}[price]", "All line items must use prices in the same currency.")
        currency = price["currency"]
        if mode == "subscription":
            this = (price["recurring"]["interval"], price["recurring"]["interval_count"])
            if interval not in (None, this):
                raise invalid(f"{param}[price]", "All prices in a subscription must share a billing interval.")
            interval = this
        product = ctx.get(price["product"], "product", allow_deleted=True)
        line_items.append(objects.checkout_line_item(store, copy.deepcopy(price), product["name"], line["quantity"]))

    now = store.now()
    expires_at = params.get("expires_at", now + 86400)
    if not now + 1800 <= expires_at <= now + 86400:
        raise invalid("expires_at", "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                                    "Checkout Session creation.")
    # With a trial nothing is due today: the first invoice is $0.
    amount = 0 if trial else sum(li["amount_total"] for li in line_items)
    _check_minimum_amount(currency or "usd", amount)
    if "metadata" in params:
        params["metadata"] = forms.merge_metadata({}, params["metadata"] or {})
    session = objects.checkout_session(store, livemode=ctx.livemode, params=params, currency=currency or "usd",
                                       amount=amount, expires_at=expires_at)
    ctx.scope.add(session)
    store.session_line_items[session["id"]] = line_items
    store.session_params[session["id"]] = {
        key: params[key] for key in ("subscription_data", "payment_intent_data") if key in params
    }
    return session


def _check_minimum_amount(currency: str, amount: int) -> None:
    """Stripe refuses to charge less than its per-currency minimum (a free session is fine)."""
    minimum = objects.MINIMUM_CHARGE.get(currency)
    if minimum is not None and 0 < amount < minimum:
        raise invalid("line_items", "The Checkout Session's total amount due must add up to at least "
                                    f"{objects.format_amount(minimum, currency)} {currency}.")


def _session_line_items(store: Store, session: dict[str, Any]) -> dict[str, Any]:
    items = copy.deepcopy(store.session_line_items.get(session["id"], []))
    return objects.list_object(items, f"/v1/checkout/sessions/{session['id']}/line_items")


Expander.virtual_fields[("checkout.session", "line_items")] = _session_line_items
# Includable fields Stripe only returns when expanded (dj-stripe expands these on every sync).
Expander.virtual_fields[("item", "discounts")] = lambda store, item: []
Expander.virtual_fields[("", "breakdown")] = lambda store, totals: {"discounts": [], "taxes": []}
Expander.virtual_fields[("price", "tiers")] = lambda store, price: None
Expander.virtual_fields[("price", "currency_options")] = lambda store, price: {
    price["currency"]: {"custom_unit_amount": None, "tax_behavior": price["tax_behavior"],
                        "unit_amount": price["unit_amount"], "unit_amount_decimal": price["unit_amount_decimal"]}}
Expander.virtual_fields[("customer", "sources")] = lambda store, customer: objects.list_object(
    [], f"/v1/customers/{customer['id']}/sources")


@route("GET", "/v1/checkout/sessions")
def list_checkout_sessions(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"customer": string(), "subscription": string(), "payment_intent": string(),
                        "status": string(choices=("open", "complete", "expired")), "created": anything()},
                       listing=True)
    filters = {k: params[k] for k in ("customer", "subscription", "payment_intent", "status") if k in params}
    sessions = ctx.find("checkout.session", lambda s: all(s[k] == v for k, v in filters.items()))
    return _list(ctx, sessions, params, "/v1/checkout/sessions")


@route("GET", "/v1/checkout/sessions/{session_id}")
def retrieve_checkout_session(ctx: Ctx, session_id: str) -> dict[str, Any]:
    ctx.clean({})
    ctx.get(session_id, "checkout.session", label="checkout.session")
    billing.expire_if_due(ctx.store, ctx.store.records[session_id])
    return ctx.get(session_id, "checkout.session", label="checkout.session")


@route("GET", "/v1/checkout/sessions/{session_id}/line_items")
def list_checkout_line_items(ctx: Ctx, session_id: str) -> dict[str, Any]:
    params = ctx.clean({}, listing=True)
    ctx.get(session_id, "checkout.session", label="checkout.session")
    return _list(ctx, ctx.store.session_line_items.get(session_id, []), params,
                 f"/v1/checkout/sessions/{session_id}/line_items")


@route("POST", "/v1/checkout/sessions/{session_id}/expire")
def expire_checkout_session(ctx: Ctx, session_id: str) -> dict[str, Any]:
    ctx.clean({})
    session = ctx.get(session_id, "checkout.session", label="checkout.session")
    if session["status"] != "open":
        raise StripeError(400, f"Only Checkout Sessions with a status in [\"open\"] can be expired. This session "
                               f"has status \"{session['status']}\".")
    billing.expire_session(ctx.scope, session)
    return session


# -- subscriptions ---------------------------------------------------------------------------------

SUBSCRIPTION_STATUSES = ("active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired",
                         "trialing", "paused", "all", "ended")


@route("GET", "/v1/subscriptions")
def list_subscriptions(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"customer": string(), "price": string(), "status": string(choices=SUBSCRIPTION_STATUSES),
                        "created": anything(), "collection_method": string(), "plan": string()}, listing=True)
    status = params.get("status")
    price_id = params.get("price") or params.get("plan")

    def keep(sub: dict[str, Any]) -> bool:
        if "customer" in params and sub["customer"] != params["customer"]:
            return False
        if price_id and all(item["price"]["id"] != price_id for item in sub["items"]["data"]):
            return False
        if status is None:
            return sub["status"] not in ("canceled", "incomplete_expired")
        if status == "all":
            return True
        if status == "ended":
            return sub["status"] in ("canceled", "incomplete_expired")
        return bool(sub["status"] == status)

    return _list(ctx, ctx.find("subscription", keep), params, "/v1/subscriptions")


@route("GET", "/v1/subscriptions/{sub_id}")
def retrieve_subscription(ctx: Ctx, sub_id: str) -> dict[str, Any]:
    ctx.clean({})
    return ctx.get(sub_id, "subscription")


SUBSCRIPTION_UPDATE = {
    "cancel_at_period_end": boolean(),
    "items": array(hash_of({"id": string(), "price": string(), "quantity": integer(minimum=0),
                            "deleted": boolean(), "metadata": metadata(), "clear_usage": boolean(),
                            "tax_rates": anything(), "discounts": anything(),
                            "price_data": unsupported("Create a Price first.")}), max_items=20),
    "metadata": metadata(),
    "proration_behavior": string(choices=("create_prorations", "none", "always_invoice")),
    "proration_date": integer(),
    "payment_behavior": string(choices=("allow_incomplete", "default_incomplete", "error_if_incomplete",
                                        "pending_if_incomplete")),
    "description": nullable(string(max_length=500)),
    "default_payment_method": nullable(string()),
    "cancellation_details": hash_of({"comment": nullable(string(max_length=5000)),
                                     "feedback": nullable(string(choices=(
                                         "customer_service", "low_quality", "missing_features", "other",
                                         "switched_service", "too_complex", "too_expensive", "unused")))}),
    "cancel_at": unsupported("Use cancel_at_period_end=true."),
    "trial_end": unsupported("Changing a trial's end is not simulated."),
    "billing_cycle_anchor": unsupported(""),
    "pause_collection": unsupported(""),
}


@route("POST", "/v1/subscriptions/{sub_id}")
def update_subscription(ctx: Ctx, sub_id: str) -> dict[str, Any]:
    params = ctx.clean(SUBSCRIPTION_UPDATE)
    sub = ctx.get(sub_id, "subscription")
    if sub["status"] == "canceled" and set(params) - {"metadata", "cancellation_details"}:
        raise StripeError(400, "A canceled subscription can only update its cancellation_details and metadata.")
    changes = _validated_item_changes(ctx, sub, params.get("items", []))
    if params.get("default_payment_method"):
        ctx.get(params["default_payment_method"], "payment_method", param="default_payment_method")

    schedule = billing.schedule_of(ctx.scope, sub)
    if schedule is not None and "cancel_at_period_end" in params:
        raise StripeError(400, f"The subscription is managed by the subscription schedule `{schedule['id']}`, and "
                               "updating any cancelation behavior directly is not allowed. Please update the schedule "
                               "instead.")

    before = copy.deepcopy(sub)
    if "metadata" in params:
        sub["metadata"] = forms.merge_metadata(sub["metadata"], params["metadata"])
    _set_fields(sub, params, ("description", "default_payment_method"))
    if "cancellation_details" in params:
        sub["cancellation_details"].update(params["cancellation_details"])
    if "cancel_at_period_end" in params:
        billing.apply_cancel_at_period_end(ctx.scope, sub, params["cancel_at_period_end"])
    if changes:
        billing.change_items(ctx.scope, sub, changes)
        billing.apply_item_change(ctx.scope, sub, before,
                                  proration_behavior=params.get("proration_behavior", "create_prorations"),
                                  proration_date=params.get("proration_date"))
    else:
        billing.emit_if_changed(ctx.scope, before, sub)
    return sub


def _validated_item_changes(ctx: Ctx, sub: dict[str, Any], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check ``items[i]`` against the subscription; resolve price ids to price objects."""
    existing = {item["id"] for item in sub["items"]["data"]}
    changes = []
    for index, item in enumerate(items):
        param = f"items[{index}]"
        change = dict(item)
        if "id" in item and item["id"] not in existing:
            raise StripeError(400, f"No such subscription item: '{item['id']}'", code="resource_missing",
                              param=f"{param}[id]")
        if "id" not in item and "price" not in item:
            raise parameter_missing(f"{param}[price]")
        if "price" in item:
            price = ctx.get(item["price"], "price", param=f"{param}[price]")
            if not price["active"]:
                raise invalid(f"{param}[price]", "The price specified is inactive. This field only accepts active "
                                                 "prices.")
            if price["type"] != "recurring":
                raise invalid(f"{param}[price]", "The price specified is set to `type=one_time` but this field "
                                                 "only accepts prices with `type=recurring`.")
            if price["currency"] != sub["currency"]:
                raise invalid(f"{param}[price]", "The price's currency must match the subscription's currency "
                                                 f"({sub['currency']}).")
            change["price"] = price
        changes.append(change)
    return changes


@route("DELETE", "/v1/subscriptions/{sub_id}")
def cancel_subscription(ctx: Ctx, sub_id: str) -> dict[str, Any]:
    params = ctx.clean({"invoice_now": boolean(), "prorate": boolean(),
                        "cancellation_details": hash_of({"comment": nullable(string()),
                                                         "feedback": nullable(string())})})
    sub = ctx.get(sub_id, "subscription")
    sub["cancellation_details"].update(params.get("cancellation_details", {}))
    billing.cancel_now(ctx.scope, sub)
    return sub


@route("POST", "/v1/subscriptions/{sub_id}/resume")
def resume_subscription(ctx: Ctx, sub_id: str) -> dict[str, Any]:
    params = ctx.clean({"billing_cycle_anchor": string(choices=("now", "unchanged")),
                        "proration_behavior": string(choices=("always_invoice", "create_prorations", "none")),
                        "proration_date": integer()})
    sub = ctx.get(sub_id, "subscription")
    billing.resume(ctx.scope, sub, billing_cycle_anchor=params.get("billing_cycle_anchor", "now"))
    return sub


@route("GET", "/v1/subscription_items")
def list_subscription_items(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"subscription": string()}, listing=True)
    _require(params, "subscription")
    sub = ctx.get(params["subscription"], "subscription", param="subscription")
    return _list(ctx, sub["items"]["data"], params, f"/v1/subscription_items?subscription={sub['id']}")


@route("GET", "/v1/subscription_items/{item_id}")
def retrieve_subscription_item(ctx: Ctx, item_id: str) -> dict[str, Any]:
    ctx.clean({})
    for sub in ctx.find("subscription"):
        for item in sub["items"]["data"]:
            if item["id"] == item_id:
                return dict(item)
    raise resource_missing("subscription_item", item_id)


# -- invoices and payments ----------------------------------------------------------------------------


@route("GET", "/v1/invoices")
def list_invoices(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"customer": string(), "subscription": string(), "created": anything(),
                        "status": string(choices=("draft", "open", "paid", "uncollectible", "void")),
                        "collection_method": string()}, listing=True)

    def keep(invoice: dict[str, Any]) -> bool:
        sub_id = invoice["parent"]["subscription_details"]["subscription"]
        return all((
            "customer" not in params or invoice["customer"] == params["customer"],
            "subscription" not in params or sub_id == params["subscription"],
            "status" not in params or invoice["status"] == params["status"],
        ))

    return _list(ctx, ctx.find("invoice", keep), params, "/v1/invoices")


@route("GET", "/v1/invoices/{invoice_id}")
def retrieve_invoice(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    ctx.clean({})
    return ctx.get(invoice_id, "invoice")


@route("GET", "/v1/invoices/{invoice_id}/lines")
def list_invoice_lines(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    params = ctx.clean({}, listing=True)
    invoice = ctx.get(invoice_id, "invoice")
    return _list(ctx, invoice["lines"]["data"], params, f"/v1/invoices/{invoice_id}/lines")


@route("POST", "/v1/invoices/{invoice_id}/pay")
def pay_invoice(ctx: Ctx, invoice_id: str) -> dict[str, Any]:
    ctx.clean({"off_session": boolean(), "payment_method": string(), "paid_out_of_band": boolean(),
               "forgive": boolean()})
    return billing.pay_invoice(ctx.scope, ctx.get(invoice_id, "invoice"))


def _invoice_payments(store: Store, invoice: dict[str, Any]) -> dict[str, Any]:
    payments = copy.deepcopy(store.invoice_payments.get(invoice["id"], []))
    return objects.list_object(payments, f"/v1/invoice_payments?invoice={invoice['id']}")


Expander.virtual_fields[("invoice", "payments")] = _invoice_payments


@route("GET", "/v1/invoice_payments")
def list_invoice_payments(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"invoice": string(), "payment": hash_of({"type": string(), "payment_intent": string()}),
                        "status": string()}, listing=True)
    invoice_ids = {i["id"] for i in ctx.find("invoice")}
    wanted_pi = params.get("payment", {}).get("payment_intent")
    found = [
        p for inv_id, payments in ctx.store.invoice_payments.items() if inv_id in invoice_ids
        for p in payments
        if ("invoice" not in params or p["invoice"] == params["invoice"])
        and (wanted_pi is None or p["payment"]["payment_intent"] == wanted_pi)
        and ("status" not in params or p["status"] == params["status"])
    ]
    found.sort(key=lambda p: p["created"], reverse=True)
    return _list(ctx, found, params, "/v1/invoice_payments")


@route("GET", "/v1/payment_intents")
def list_payment_intents(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"customer": string(), "created": anything()}, listing=True)
    found = ctx.find("payment_intent", lambda pi: "customer" not in params or pi["customer"] == params["customer"])
    return _list(ctx, found, params, "/v1/payment_intents")


@route("GET", "/v1/payment_intents/{pi_id}")
def retrieve_payment_intent(ctx: Ctx, pi_id: str) -> dict[str, Any]:
    ctx.clean({"client_secret": string()})
    return ctx.get(pi_id, "payment_intent")


@route("GET", "/v1/payment_methods/{pm_id}")
def retrieve_payment_method(ctx: Ctx, pm_id: str) -> dict[str, Any]:
    ctx.clean({})
    return ctx.get(pm_id, "payment_method")


@route("GET", "/v1/charges/{charge_id}")
def retrieve_charge(ctx: Ctx, charge_id: str) -> dict[str, Any]:
    ctx.clean({})
    return ctx.get(charge_id, "charge")


# -- events --------------------------------------------------------------------------------------------


def _created_filter(value: Any) -> Callable[[int], bool]:
    """``created=123`` or ``created[gte]=...&created[lt]=...``."""
    if value is None:
        return lambda ts: True
    if not isinstance(value, dict):
        exact = integer()(value, "created")
        return lambda ts: ts == exact
    bounds = {op: integer()(v, f"created[{op}]") for op, v in value.items()}
    ops: dict[str, Callable[[int, int], bool]] = {
        "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}
    for op in bounds:
        if op not in ops:
            raise invalid(f"created[{op}]", f"Received unknown parameter: created[{op}]", "parameter_unknown")
    return lambda ts: all(ops[op](ts, bound) for op, bound in bounds.items())


@route("GET", "/v1/events")
def list_events(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"type": string(), "types": array(string(), max_items=20), "created": anything(),
                        "delivery_success": boolean()}, listing=True)
    created = _created_filter(params.get("created"))
    patterns = params.get("types") or ([params["type"]] if "type" in params else [])

    def matches(event_type: str) -> bool:
        return not patterns or any(
            event_type == p or (p.endswith("*") and event_type.startswith(p[:-1])) for p in patterns)

    found = ctx.find("event", lambda e: matches(e["type"]) and created(e["created"]))
    return _list(ctx, found, params, "/v1/events")


@route("GET", "/v1/events/{event_id}")
def retrieve_event(ctx: Ctx, event_id: str) -> dict[str, Any]:
    ctx.clean({})
    return ctx.get(event_id, "event")


# -- charges and refunds (payment mode) ---------------------------------------------------------


def _charge_refunds(store: Store, charge: dict[str, Any]) -> dict[str, Any]:
    refunds = store.find("refund", account=store.records[charge["id"]].account,
                         livemode=charge["livemode"], where=lambda r: r["charge"] == charge["id"])
    return objects.list_object(copy.deepcopy(refunds), f"/v1/charges/{charge['id']}/refunds")


# Since API 2022-11-15 a charge's refunds are listed only when expanded.
Expander.virtual_fields[("charge", "refunds")] = _charge_refunds


@route("GET", "/v1/charges")
def list_charges(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"customer": string(), "payment_intent": string(), "created": anything(),
                        "transfer_group": string()}, listing=True)
    found = ctx.find("charge", lambda ch: all(ch[k] == params[k] for k in ("customer", "payment_intent")
                                                 if k in params))
    return _list(ctx, found, params, "/v1/charges")


# -- refunds ---------------------------------------------------------------------------------------

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


@route("POST", "/v1/refunds")
def create_refund(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({
        "charge": string(blank=False), "payment_intent": string(blank=False),
        "amount": integer(minimum=1), "reason": string(choices=REFUND_REASONS), "metadata": metadata(),
        "instructions_email": string(), "refund_application_fee": boolean(), "reverse_transfer": boolean(),
        "origin": string(choices=("customer_balance",)),
        "customer": unsupported("Customer balance refunds are not simulated."),
    })
    if "origin" in params:
        raise invalid("origin", "Customer balance refunds are not simulated.")
    if "charge" in params and "payment_intent" in params:
        raise invalid("payment_intent", "You may only specify one of these parameters: charge, payment_intent.")
    if "charge" in params:
        charge = ctx.get(params["charge"], "charge", param="charge")
    elif "payment_intent" in params:
        pi = ctx.get(params["payment_intent"], "payment_intent", param="payment_intent")
        if pi["status"] != "succeeded" or not pi["latest_charge"]:
            raise invalid("payment_intent", f"This PaymentIntent ({pi['id']}) does not have a successful charge to "
                                            "refund.", "charge_not_refundable")
        charge = ctx.get(pi["latest_charge"], "charge")
    else:
        raise StripeError(400, "One of the following params should be provided for this request: charge or "
                               "payment_intent.", code="parameter_missing", param="charge")
    return billing.refund_charge(ctx.scope, charge, amount=params.get("amount"), reason=params.get("reason"),
                                 metadata=forms.merge_metadata({}, params.get("metadata") or {}))


@route("GET", "/v1/refunds")
def list_refunds(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"charge": string(), "payment_intent": string(), "created": anything()}, listing=True)
    found = ctx.find("refund", lambda r: all(r[k] == params[k] for k in ("charge", "payment_intent") if k in params))
    return _list(ctx, found, params, "/v1/refunds")


@route("GET", "/v1/refunds/{refund_id}")
def retrieve_refund(ctx: Ctx, refund_id: str) -> dict[str, Any]:
    ctx.clean({})
    return ctx.get(refund_id, "refund")


@route("GET", "/v1/charges/{charge_id}/refunds")
def list_charge_refunds(ctx: Ctx, charge_id: str) -> dict[str, Any]:
    params = ctx.clean({}, listing=True)
    charge = ctx.get(charge_id, "charge")
    return _list(ctx, _charge_refunds(ctx.store, charge)["data"], params, f"/v1/charges/{charge_id}/refunds")

