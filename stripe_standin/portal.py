"""The customer portal's configurations (``billing_portal.configuration``) and sessions.

As on Stripe, a portal session uses the configuration it names or, without one, the
account's *default* configuration, which only exists once the account owner has saved the
portal settings in the Dashboard (per mode). Configurations created through the API are
never the default. Without either, creating a session fails with Stripe's message. The
hosted portal page (:mod:`pages`) offers only what the session's configuration enables:
cancellation in its mode, switching to the prices it lists, invoice history, the payment
method.
"""

from __future__ import annotations

import copy
from typing import Any

from . import billing, forms, objects
from .api import Ctx, _list, _require, route
from .errors import StripeError, invalid, parameter_missing
from .forms import array, boolean, hash_of, integer, metadata, nullable, string, unsupported, url
from .store import Store

CANCELLATION_REASONS = ("customer_service", "low_quality", "missing_features", "other", "switched_service",
                        "too_complex", "too_expensive", "unused")
PRORATION = ("always_invoice", "create_prorations", "none")
MAX_PRODUCTS = 10

FEATURES = hash_of({
    "customer_update": hash_of({
        "allowed_updates": array(string(choices=("address", "email", "name", "phone", "shipping", "tax_id"))),
        "enabled": boolean(),
    }),
    "invoice_history": hash_of({"enabled": boolean()}),
    "payment_method_update": hash_of({"enabled": boolean(), "payment_method_configuration": nullable(string())}),
    "subscription_cancel": hash_of({
        "cancellation_reason": hash_of({"enabled": boolean(), "options": array(string(choices=CANCELLATION_REASONS)),
                                        "feedback_options": unsupported("Custom feedback options are not simulated.")}),
        "enabled": boolean(),
        "mode": string(choices=("at_period_end", "immediately")),
        "proration_behavior": string(choices=PRORATION),
    }),
    "subscription_update": hash_of({
        "billing_cycle_anchor": string(choices=("now", "unchanged")),
        "default_allowed_updates": array(string(choices=("price", "promotion_code", "quantity"))),
        "enabled": boolean(),
        "products": array(hash_of({
            "adjustable_quantity": hash_of({"enabled": boolean(), "maximum": integer(minimum=1),
                                            "minimum": integer(minimum=0)}),
            "prices": array(string(blank=False)),
            "product": string(blank=False),
        }), max_items=MAX_PRODUCTS),
        "proration_behavior": string(choices=PRORATION),
        "schedule_at_period_end": hash_of({"conditions": array(hash_of({
            "type": string(choices=("decreasing_item_amount", "shortening_interval")),
        }), max_items=2)}),
        "trial_update_behavior": string(choices=("continue_trial", "end_trial")),
    }),
})
CONFIGURATION_FIELDS = {
    "business_profile": hash_of({"headline": nullable(string(max_length=60)), "privacy_policy_url": url(),
                                 "terms_of_service_url": url()}),
    "default_return_url": nullable(url()),
    "features": FEATURES,
    "login_page": hash_of({"enabled": boolean()}),
    "metadata": metadata(),
    "name": nullable(string(max_length=256)),
}


def _default_features() -> dict[str, Any]:
    """What Stripe fills in for features the request leaves out (everything off)."""
    return {
        "customer_update": {"allowed_updates": [], "enabled": False},
        "invoice_history": {"enabled": False},
        "payment_method_update": {"enabled": False, "payment_method_configuration": None},
        "subscription_cancel": {
            "cancellation_reason": {"enabled": False, "feedback_options": None, "options": []},
            "enabled": False, "mode": "at_period_end", "proration_behavior": "none",
        },
        "subscription_update": {
            "billing_cycle_anchor": None, "default_allowed_updates": [], "enabled": False, "products": [],
            "proration_behavior": "none", "schedule_at_period_end": {"conditions": []},
            "trial_update_behavior": "end_trial",
        },
    }


def configuration(store: Store, *, livemode: bool, application: str | None, is_default: bool = False) -> dict[str, Any]:
    now = store.now()
    return {
        "id": store.new_id("bpc_"),
        "object": "billing_portal.configuration",
        "active": True,
        "application": application,
        "business_profile": {"headline": None, "privacy_policy_url": None, "terms_of_service_url": None},
        "created": now,
        "default_return_url": None,
        "features": _default_features(),
        "is_default": is_default,
        "livemode": livemode,
        "login_page": {"enabled": False, "url": None},
        "metadata": {},
        "name": None,
        "updated": now,
    }


def _apply(ctx: Ctx, config: dict[str, Any], params: dict[str, Any]) -> None:
    """Validate and merge create/update parameters into ``config`` (nested hashes merge key by key)."""
    features = params.get("features", {})
    for name, values in features.items():
        if name == "subscription_update" and "products" in values:
            values = {**values, "products": _products(ctx, values["products"])}
        for key, value in values.items():
            if key == "cancellation_reason":
                config["features"][name][key].update(value)
            else:
                config["features"][name][key] = value
    cancel = config["features"]["subscription_cancel"]
    if cancel["proration_behavior"] == "always_invoice":
        raise invalid("features[subscription_cancel][proration_behavior]",
                      "`always_invoice` is not a valid proration behavior for canceling subscriptions.")
    if cancel["proration_behavior"] == "create_prorations" and cancel["mode"] != "immediately":
        raise invalid("features[subscription_cancel][proration_behavior]",
                      "`create_prorations` can only be used with `features[subscription_cancel][mode]=immediately`.")
    update = config["features"]["subscription_update"]
    if update["enabled"] and "price" in update["default_allowed_updates"] and not update["products"]:
        raise parameter_missing("features[subscription_update][products]",
                                "You must provide at least one product when subscription updates allow price "
                                "changes.")
    if "business_profile" in params:
        config["business_profile"].update(params["business_profile"])
    if "login_page" in params:
        enabled = params["login_page"].get("enabled", config["login_page"]["enabled"])
        config["login_page"] = {"enabled": enabled,
                                "url": f"{ctx.store.config.public_base}/portal/login/{config['id']}" if enabled else None}
    if "metadata" in params:
        config["metadata"] = forms.merge_metadata(config["metadata"], params["metadata"])
    for name in ("default_return_url", "name", "active"):
        if name in params:
            config[name] = params[name]


def _products(ctx: Ctx, products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each listed price must be a recurring price of the listed product, in this account."""
    result = []
    for index, entry in enumerate(products):
        param = f"features[subscription_update][products][{index}]"
        if not entry.get("product"):
            raise parameter_missing(f"{param}[product]")
        if not entry.get("prices"):
            raise parameter_missing(f"{param}[prices]")
        product = ctx.get(entry["product"], "product", param=f"{param}[product]")
        for position, price_id in enumerate(entry["prices"]):
            price = ctx.get(price_id, "price", param=f"{param}[prices][{position}]")
            if price["product"] != product["id"]:
                raise invalid(f"{param}[prices][{position}]",
                              f"The price `{price_id}` does not belong to the product `{product['id']}`.")
            if price["type"] != "recurring":
                raise invalid(f"{param}[prices][{position}]",
                              f"The price `{price_id}` is not a recurring price.")
        quantity = {"enabled": False, "maximum": None, "minimum": 1, **entry.get("adjustable_quantity", {})}
        result.append({"adjustable_quantity": quantity, "prices": list(entry["prices"]), "product": product["id"]})
    return result


def _application(ctx: Ctx) -> str | None:
    """The Connect application creating the configuration: the platform, when it acts for an account."""
    if ctx.account is None:
        return None
    state = ctx.store.accounts.get(ctx.account)
    return state.client_id if state else None


@route("POST", "/v1/billing_portal/configurations")
def create_configuration(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean(CONFIGURATION_FIELDS)
    if "features" not in params:
        raise parameter_missing("features")
    config = configuration(ctx.store, livemode=ctx.livemode, application=_application(ctx))
    _apply(ctx, config, params)
    ctx.scope.add(config)
    ctx.emit("billing_portal.configuration.created", config)
    return config


@route("GET", "/v1/billing_portal/configurations")
def list_configurations(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"active": boolean(), "is_default": boolean()}, listing=True)
    found = ctx.find("billing_portal.configuration", lambda c: all(
        name not in params or c[name] == params[name] for name in ("active", "is_default")))
    return _list(ctx, found, params, "/v1/billing_portal/configurations")


@route("GET", "/v1/billing_portal/configurations/{configuration_id}")
def retrieve_configuration(ctx: Ctx, configuration_id: str) -> dict[str, Any]:
    ctx.clean({})
    return ctx.get(configuration_id, "billing_portal.configuration", label="configuration")


@route("POST", "/v1/billing_portal/configurations/{configuration_id}")
def update_configuration(ctx: Ctx, configuration_id: str) -> dict[str, Any]:
    params = ctx.clean({**CONFIGURATION_FIELDS, "active": boolean()})
    config = ctx.get(configuration_id, "billing_portal.configuration", label="configuration")
    before = copy.deepcopy(config)
    _apply(ctx, config, params)
    changed = billing.previous_attributes(before, config)
    if changed:
        config["updated"] = ctx.store.now()
        ctx.emit("billing_portal.configuration.updated", config, changed)
    return config


def session_configuration(ctx: Ctx, configuration_id: str | None) -> dict[str, Any]:
    """The configuration a new portal session uses: the one named, else the account's default."""
    if configuration_id:
        config = ctx.get(configuration_id, "billing_portal.configuration", label="configuration",
                         param="configuration")
        if not config["active"]:
            raise invalid("configuration", f"The configuration `{configuration_id}` is not active.")
        return config
    defaults = ctx.find("billing_portal.configuration", lambda c: c["is_default"] and c["active"])
    if not defaults:
        mode = "live" if ctx.livemode else "test"
        path = "settings/billing/portal" if ctx.livemode else "test/settings/billing/portal"
        raise StripeError(
            400,
            f"No configuration provided and your {mode} mode default configuration has not been created. "
            f"Provide a configuration or create your default by saving your customer portal settings in {mode} "
            f"mode at https://dashboard.stripe.com/{path}.",
        )
    return defaults[0]


@route("POST", "/v1/billing_portal/sessions")
def create_portal_session(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"customer": string(blank=False), "return_url": url(), "configuration": string(),
                        "locale": string(), "on_behalf_of": string(),
                        "flow_data": unsupported("Deep-linked portal flows are not simulated.")})
    _require(params, "customer")
    ctx.get(params["customer"], "customer", param="customer")
    config = session_configuration(ctx, params.get("configuration"))
    session = objects.portal_session(ctx.store, livemode=ctx.livemode, customer_id=params["customer"],
                                     return_url=params.get("return_url") or config["default_return_url"],
                                     configuration=config["id"], locale=params.get("locale"))
    return ctx.scope.add(session)


def save_default(store: Store, account: str | None, livemode: bool, features: dict[str, Any]) -> dict[str, Any]:
    """What saving the portal settings in the Dashboard does (control API): the account's default."""
    with store.lock:
        for other in store.find("billing_portal.configuration", account=account, livemode=livemode,
                                where=lambda c: c["is_default"]):
            other["is_default"] = False
        config = configuration(store, livemode=livemode, application=None, is_default=True)
        for name, values in features.items():
            config["features"][name].update(values)
        store.add(config, account, livemode)
        return config
