"""The one module that talks to Stripe.

Every function is keyword-only, runs with an explicit timeout, passes the connected account
(``stripe_account``) when it acts for a project, and takes an idempotency key made by
``idempotency_key`` (a hash of everything the request depends on), so a retry never creates a
second object and a different request never replays an old one. Stripe's exceptions are turned
into one error type, ``StripeError``, which says whether trying again can help and carries our
own message: Stripe's text, ids and request id go to the log, not to API clients.

With no real keys configured (``settings.STRIPE_USES_STANDIN``) the same calls go over HTTP
to the local stand-in (``stripe_standin/``) at ``settings.STRIPE_API_BASE``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from typing import Any, Iterator
from urllib.parse import urlencode

import stripe
from django.conf import settings
from stripe._base_address import BaseAddresses
from stripe.oauth_error import OAuthError
from stripe.params import (
    PriceCreateParams,
    ProductCreateParams,
    ProductUpdateParams,
    SubscriptionScheduleUpdateParams,
    SubscriptionUpdateParams,
)
from stripe.params.billing_portal import ConfigurationCreateParams, ConfigurationUpdateParams
from stripe.params.billing_portal._configuration_create_params import ConfigurationCreateParamsFeatures
from stripe.params.checkout import SessionCreateParams, SessionListParams

from dreamapi import jsonparse
from dreamapi.errors import ApiError

logger = logging.getLogger(__name__)

# Pinned so objects have the shape this code was written against, whatever the account's default.
API_VERSION = stripe.api_version


class StripeError(ApiError):
    """A Stripe call failed. ``retryable`` is True when trying again later can succeed.

    ``stripe_code``/``stripe_param`` are Stripe's own error code and parameter (for callers that
    react to one case, such as a deleted customer); they never reach API clients.
    """

    def __init__(self, message: str, *, retryable: bool, code: str = "stripe_error", status_code: int = 502,
                 stripe_code: str | None = None, stripe_param: str | None = None) -> None:
        super().__init__(message, code=code, title="Stripe error", status_code=status_code, retryable=retryable)
        self.stripe_code = stripe_code
        self.stripe_param = stripe_param

    def is_missing(self, param: str) -> bool:
        """Stripe answered "no such …" for this parameter (the object was deleted on Stripe's side)."""
        return self.stripe_code == "resource_missing" and self.stripe_param == param


def expandable_id(value: Any) -> str:
    """The id in an expandable field of a Stripe object: the field holds the id, or the object
    when expanded; "" when it is empty."""
    return str((value.get("id") if isinstance(value, dict) else value) or "")


def idempotency_key(kind: str, *parts: Any) -> str:
    """An idempotency key for a request that depends on ``parts`` (local ids, a version counter,
    the request's parameters): the same request gets the same key; any difference, a new one.
    Always 80 characters or fewer, far inside Stripe's limit of 255, whatever the parts hold."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"{kind[:15]}-{digest}"


def configure_globals() -> None:
    """dj-stripe uses stripe-python's module-level configuration: point it at the stand-in too."""
    if settings.STRIPE_API_BASE:
        stripe.api_base = settings.STRIPE_API_BASE
        stripe.connect_api_base = settings.STRIPE_API_BASE
        stripe.upload_api_base = settings.STRIPE_API_BASE


@functools.lru_cache(maxsize=4)
def _client(mode: str) -> stripe.StripeClient:
    api_key = settings.STRIPE_LIVE_SECRET_KEY if mode == "live" else settings.STRIPE_TEST_SECRET_KEY
    base_addresses: BaseAddresses = {}
    if settings.STRIPE_API_BASE:
        base_addresses = {"api": settings.STRIPE_API_BASE, "connect": settings.STRIPE_API_BASE,
                          "files": settings.STRIPE_API_BASE}
    return stripe.StripeClient(
        api_key,
        stripe_version=API_VERSION,
        base_addresses=base_addresses,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


def reset_clients() -> None:
    """Forget clients built from old settings (tests change STRIPE_API_BASE)."""
    _client.cache_clear()


def _options(*, account: str | None, idempotency_key: str | None = None) -> stripe.RequestOptions:
    options: stripe.RequestOptions = {}
    if account:
        options["stripe_account"] = account
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    return options


# Stripe's error codes we can explain in our own words (invalid requests, answered 422).
_REJECTION_MESSAGES = {
    "amount_too_small": "The amount is below Stripe's minimum charge for this currency.",
    "amount_too_large": "The amount is above Stripe's maximum charge for this currency.",
    "parameter_invalid_integer": "Stripe refused an amount or quantity we sent.",
    "url_invalid": "Stripe refused one of the URLs (success, cancel or return URL).",
}


def _translate(exc: stripe.StripeError) -> StripeError:
    """Our error for Stripe's: our own message and a status that says whose problem it is.
    Stripe's message, code and request id are logged for support, never returned."""
    code, param = getattr(exc, "code", None), getattr(exc, "param", None)
    logger.warning("Stripe answered %s %s (code=%s, param=%s, request id %s): %s", exc.http_status,
                   type(exc).__name__, code, param, exc.request_id, exc.user_message or exc)
    error = functools.partial(StripeError, stripe_code=code, stripe_param=param)
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)):
        busy = "is receiving too many requests" if isinstance(exc, stripe.RateLimitError) else "could not be reached"
        return error(f"Stripe {busy}; try again shortly.", retryable=True, code="stripe_unavailable",
                     status_code=503)
    if isinstance(exc, stripe.PermissionError):
        return error("The Stripe account connected to this project no longer gives us access; connect it again "
                     "in the dashboard.", retryable=False, code="stripe_not_connected", status_code=409)
    if isinstance(exc, stripe.AuthenticationError):
        return error("The platform's Stripe credentials were refused; the operators have to fix them.",
                     retryable=False, code="stripe_misconfigured", status_code=502)
    if isinstance(exc, stripe.CardError):
        return error("The customer's card was declined (or needs the customer to authenticate the payment); "
                     "nothing was changed. They can update their card in the customer portal.", retryable=False,
                     code="payment_failed", status_code=409)
    if isinstance(exc, stripe.IdempotencyError):
        return error("A retried request did not match the first one Stripe saw; try again.", retryable=False,
                     code="stripe_conflict", status_code=409)
    if isinstance(exc, stripe.InvalidRequestError):
        if code == "resource_missing" or exc.http_status == 404:
            return error("Something this request relies on no longer exists in Stripe (a price, product or "
                         "customer was deleted or archived there). Save the tier again, or reconnect Stripe.",
                         retryable=False, code="stripe_object_missing", status_code=409)
        message = _REJECTION_MESSAGES.get(code or "", "Stripe refused the request as this project is set up; "
                                                      "check the project's Stripe settings and tiers.")
        return error(message, retryable=False, code="stripe_rejected", status_code=422)
    if isinstance(exc, stripe.APIError) and (exc.http_status or 500) >= 500:
        return error("Stripe had a problem answering; try again shortly.", retryable=True,
                     code="stripe_unavailable", status_code=502)
    return error("Stripe refused the request.", retryable=False)


class _translated:
    """``with _translated():`` turns stripe-python's exceptions into StripeError."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is not None and isinstance(exc, stripe.StripeError) and not isinstance(exc, OAuthError):
            raise _translate(exc) from exc


# --- Connect OAuth ---------------------------------------------------------------------


def connect_authorize_url(*, mode: str, state: str, redirect_uri: str) -> str:
    client_id = settings.STRIPE_CONNECT_CLIENT_ID_LIVE if mode == "live" else settings.STRIPE_CONNECT_CLIENT_ID_TEST
    base = settings.STRIPE_API_BASE or "https://connect.stripe.com"
    query = urlencode({"response_type": "code", "client_id": client_id, "scope": "read_write",
                       "state": state, "redirect_uri": redirect_uri})
    return f"{base}/oauth/authorize?{query}"


def connect_token(*, mode: str, code: str) -> tuple[str, str]:
    """Exchange an OAuth code for the connected account id. Returns (account_id, scope)."""
    try:
        with _translated():
            response = _client(mode).oauth.token({"grant_type": "authorization_code", "code": code})
    except OAuthError as exc:
        raise StripeError(f"Stripe Connect refused the authorization: {exc.user_message or exc}",
                          retryable=False, code="stripe_oauth_failed", status_code=400) from exc
    return str(response.stripe_user_id), str(response.scope or "")


def connect_deauthorize(*, mode: str, account: str) -> None:
    client_id = settings.STRIPE_CONNECT_CLIENT_ID_LIVE if mode == "live" else settings.STRIPE_CONNECT_CLIENT_ID_TEST
    try:
        with _translated():
            _client(mode).oauth.deauthorize({"client_id": client_id, "stripe_user_id": account})
    except OAuthError:
        # Already disconnected on Stripe's side: nothing left to undo there.
        return


# --- products and prices -----------------------------------------------------------------


def product_create(*, mode: str, account: str, name: str, metadata: dict[str, str], idempotency_key: str) -> str:
    with _translated():
        product = _client(mode).v1.products.create(
            {"name": name, "metadata": metadata}, _options(account=account, idempotency_key=idempotency_key)
        )
    return product.id


def product_update(*, mode: str, account: str, product: str, name: str) -> None:
    with _translated():
        _client(mode).v1.products.update(product, {"name": name}, _options(account=account))


def price_create(
    *, mode: str, account: str, product: str, amount_cents: int, currency: str, interval: str | None,
    metadata: dict[str, str], idempotency_key: str,
) -> str:
    params: PriceCreateParams = {
        "product": product, "unit_amount": amount_cents, "currency": currency, "metadata": metadata,
    }
    if interval:
        params["recurring"] = {"interval": "year" if interval == "year" else "month"}
    with _translated():
        price = _client(mode).v1.prices.create(params, _options(account=account, idempotency_key=idempotency_key))
    return price.id


def price_archive(*, mode: str, account: str, price: str) -> None:
    with _translated():
        _client(mode).v1.prices.update(price, {"active": False}, _options(account=account))


# --- customers, checkout, portal ----------------------------------------------------------


def customer_create(*, mode: str, account: str | None, email: str, metadata: dict[str, str],
                    idempotency_key: str) -> str:
    with _translated():
        customer = _client(mode).v1.customers.create(
            {"email": email, "metadata": metadata}, _options(account=account, idempotency_key=idempotency_key)
        )
    return customer.id


def checkout_session_create(
    *,
    mode: str,
    account: str | None,
    checkout_mode: str,
    line_items: list[tuple[str, int]],
    success_url: str,
    cancel_url: str,
    customer: str | None = None,
    customer_email: str | None = None,
    client_reference_id: str | None = None,
    metadata: dict[str, str],
    idempotency_key: str | None,
    trial_days: int = 0,
    trial_requires_card: bool = True,
) -> tuple[str, str]:
    """A hosted Checkout Session. ``checkout_mode`` is ``subscription`` or ``payment``. Returns (id, url).

    ``trial_days`` starts the subscription with a free trial; without ``trial_requires_card`` Checkout
    asks for no card (``payment_method_collection=if_required``). Either way a trial that ends without
    a payment method cancels the subscription (``missing_payment_method=cancel``) rather than leaving
    an unpaid invoice behind."""
    params: SessionCreateParams = {
        "mode": "subscription" if checkout_mode == "subscription" else "payment",
        "line_items": [{"price": price, "quantity": quantity} for price, quantity in line_items],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": metadata,
    }
    if customer:
        params["customer"] = customer
    elif customer_email:
        params["customer_email"] = customer_email
    if client_reference_id:
        params["client_reference_id"] = client_reference_id
    if checkout_mode == "subscription":
        params["subscription_data"] = {"metadata": metadata}
        if trial_days > 0:
            params["subscription_data"]["trial_period_days"] = trial_days
            params["subscription_data"]["trial_settings"] = {"end_behavior": {"missing_payment_method": "cancel"}}
            if not trial_requires_card:
                params["payment_method_collection"] = "if_required"
    else:
        params["payment_intent_data"] = {"metadata": metadata}
    with _translated():
        session = _client(mode).v1.checkout.sessions.create(
            params, _options(account=account, idempotency_key=idempotency_key)
        )
    return session.id, str(session.url)


def billing_portal_session_create(*, mode: str, account: str | None, customer: str, return_url: str,
                                  configuration: str | None) -> str:
    with _translated():
        params: stripe.params.billing_portal.SessionCreateParams = {"customer": customer, "return_url": return_url}
        if configuration:
            params["configuration"] = configuration
        session = _client(mode).v1.billing_portal.sessions.create(params, _options(account=account))
    return session.url


def _portal_features(products: list[tuple[str, list[str]]]) -> ConfigurationCreateParamsFeatures:
    """What end users may do in the portal: cancel at period end, switch between the listed prices
    (the project's tiers), see their invoices, update their payment method.

    Switching follows the same rules as ``POST /api/change-plan``: an upgrade applies now and the
    prorated difference is invoiced at once (``always_invoice``); a cheaper price or a shorter interval
    waits for the period's end (``schedule_at_period_end``, which Stripe carries out with a subscription
    schedule); a trial goes on through a switch."""
    return {
        "subscription_cancel": {"enabled": True, "mode": "at_period_end", "proration_behavior": "none"},
        "subscription_update": {
            "enabled": bool(products),
            "default_allowed_updates": ["price"] if products else "",
            "proration_behavior": "always_invoice",
            "products": [{"product": product, "prices": prices} for product, prices in products] if products else "",
            "schedule_at_period_end": {"conditions": [{"type": "decreasing_item_amount"},
                                                      {"type": "shortening_interval"}]},
            "trial_update_behavior": "continue_trial",
        },
        "invoice_history": {"enabled": True},
        "payment_method_update": {"enabled": True},
        "customer_update": {"enabled": False},
    }


def portal_configuration_create(*, mode: str, account: str | None, products: list[tuple[str, list[str]]],
                                metadata: dict[str, str], idempotency_key: str) -> str:
    """A customer portal configuration on the connected account (``None``: the platform's own).
    ``products`` lists (product, [prices]) a subscription may switch between. Returns its id (``bpc_…``)."""
    params: ConfigurationCreateParams = {"features": _portal_features(products), "metadata": metadata}
    with _translated():
        config = _client(mode).v1.billing_portal.configurations.create(
            params, _options(account=account, idempotency_key=idempotency_key)
        )
    return config.id


def portal_configuration_update(*, mode: str, account: str, configuration: str,
                                products: list[tuple[str, list[str]]]) -> None:
    # An update takes the features in the same shape as creation (type-checked there).
    features: Any = _portal_features(products)
    params: ConfigurationUpdateParams = {"active": True, "features": features}
    with _translated():
        _client(mode).v1.billing_portal.configurations.update(configuration, params, _options(account=account))


# --- connected accounts ------------------------------------------------------------------------


def account_retrieve(*, mode: str, account: str) -> dict[str, Any]:
    """The connected account as Stripe describes it (``charges_enabled``, ``details_submitted``…)."""
    with _translated():
        return _client(mode).v1.accounts.retrieve(account).to_dict()


# --- subscriptions --------------------------------------------------------------------------


def subscription_retrieve(*, mode: str, account: str | None, subscription: str) -> dict[str, Any]:
    with _translated():
        sub = _client(mode).v1.subscriptions.retrieve(subscription, options=_options(account=account))
    return sub.to_dict()


def subscription_change_price(*, mode: str, account: str, subscription: str, item: str, price: str,
                              proration_behavior: str, idempotency_key: str) -> dict[str, Any]:
    """Move a subscription's item to another price now. ``always_invoice`` charges the prorated
    difference at once; ``error_if_incomplete`` makes Stripe refuse the change (402) when that
    payment fails, so a declined card never leaves the end user on the new plan unpaid."""
    params: SubscriptionUpdateParams = {
        "items": [{"id": item, "price": price}],
        "proration_behavior": "always_invoice" if proration_behavior == "always_invoice" else (
            "none" if proration_behavior == "none" else "create_prorations"),
        "payment_behavior": "error_if_incomplete",
    }
    with _translated():
        sub = _client(mode).v1.subscriptions.update(subscription, params,
                                                    _options(account=account, idempotency_key=idempotency_key))
    return sub.to_dict()


def subscription_set_cancel_at_period_end(*, mode: str, account: str, subscription: str,
                                          cancel: bool) -> dict[str, Any]:
    with _translated():
        sub = _client(mode).v1.subscriptions.update(subscription, {"cancel_at_period_end": cancel},
                                                    _options(account=account))
    return sub.to_dict()


def subscription_schedule_retrieve(*, mode: str, account: str, schedule: str) -> dict[str, Any]:
    with _translated():
        return _client(mode).v1.subscription_schedules.retrieve(schedule, options=_options(account=account)).to_dict()


def subscription_schedule_downgrade(*, mode: str, account: str, subscription: str, current_price: str,
                                    new_price: str, new_interval: str, quantity: int, period_start: int,
                                    period_end: int, schedule: str | None, idempotency_key: str) -> dict[str, Any]:
    """Schedule a price change for the end of the current period, as Stripe recommends for downgrades:
    a subscription schedule (made from the subscription unless ``schedule`` names its existing one)
    whose first phase is the current price until ``period_end`` and whose second phase is the new
    price for one interval, after which the schedule releases the subscription, which then renews on
    the new price by itself. Returns the schedule."""
    with _translated():
        if schedule is None:
            schedule = _client(mode).v1.subscription_schedules.create(
                {"from_subscription": subscription}, _options(account=account, idempotency_key=idempotency_key)).id
        params: SubscriptionScheduleUpdateParams = {
            "end_behavior": "release",
            "proration_behavior": "none",
            "phases": [
                {"items": [{"price": current_price, "quantity": quantity}], "start_date": period_start,
                 "end_date": period_end},
                {"items": [{"price": new_price, "quantity": quantity}], "proration_behavior": "none",
                 "duration": {"interval": "year" if new_interval == "year" else "month", "interval_count": 1}},
            ],
        }
        return _client(mode).v1.subscription_schedules.update(schedule, params, _options(account=account)).to_dict()


def subscription_schedule_release(*, mode: str, account: str, schedule: str) -> None:
    """Let the subscription go on as it is now (a scheduled change is dropped)."""
    with _translated():
        _client(mode).v1.subscription_schedules.release(schedule, options=_options(account=account))


def invoice_retrieve(*, mode: str, account: str, invoice: str) -> dict[str, Any]:
    with _translated():
        return _client(mode).v1.invoices.retrieve(invoice, options=_options(account=account)).to_dict()


def subscriptions_list(*, mode: str, account: str | None) -> Iterator[dict[str, Any]]:
    """Every subscription on the account, any status (auto-paginated)."""
    with _translated():
        page = _client(mode).v1.subscriptions.list({"status": "all", "limit": 100}, _options(account=account))
        for sub in page.auto_paging_iter():
            yield sub.to_dict()


# --- the store: one-off products, cart checkouts, charges ------------------------------------


def store_product_create(
    *, mode: str, account: str, name: str, description: str, images: list[str], active: bool,
    metadata: dict[str, str], idempotency_key: str,
) -> str:
    """A Stripe Product for a store product (shown on the Checkout page). Returns its id."""
    params: ProductCreateParams = {"name": name, "active": active, "metadata": metadata, "images": images}
    if description:
        params["description"] = description
    with _translated():
        product = _client(mode).v1.products.create(params, _options(account=account, idempotency_key=idempotency_key))
    return product.id


def store_product_update(
    *, mode: str, account: str, product: str, name: str, description: str, images: list[str], active: bool,
) -> None:
    # Stripe clears a field sent as "": that is how an emptied description or image goes away.
    params: ProductUpdateParams = {"name": name, "active": active, "description": description or "",
                                   "images": images or ""}
    with _translated():
        _client(mode).v1.products.update(product, params, _options(account=account))


def price_set_active(*, mode: str, account: str, price: str, active: bool) -> None:
    with _translated():
        _client(mode).v1.prices.update(price, {"active": active}, _options(account=account))


def payment_checkout_session_create(
    *,
    mode: str,
    account: str,
    line_items: list[tuple[str, int]],
    success_url: str,
    cancel_url: str,
    customer_email: str | None,
    expires_at: int,
    client_reference_id: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> tuple[str, str]:
    """A guest Checkout Session in payment mode that expires at ``expires_at`` (unix time,
    30 minutes to 24 hours ahead). Returns (id, url)."""
    params: SessionCreateParams = {
        "mode": "payment",
        "line_items": [{"price": price, "quantity": quantity} for price, quantity in line_items],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": expires_at,
        "client_reference_id": client_reference_id,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
    }
    if customer_email:
        params["customer_email"] = customer_email
    with _translated():
        session = _client(mode).v1.checkout.sessions.create(
            params, _options(account=account, idempotency_key=idempotency_key)
        )
    return session.id, str(session.url)


def checkout_session_retrieve(*, mode: str, account: str, session: str) -> dict[str, Any]:
    with _translated():
        return _client(mode).v1.checkout.sessions.retrieve(session, options=_options(account=account)).to_dict()


def checkout_session_expire(*, mode: str, account: str, session: str) -> dict[str, Any]:
    """Expire an open session now (Stripe refuses unless it is open)."""
    with _translated():
        return _client(mode).v1.checkout.sessions.expire(session, options=_options(account=account)).to_dict()


def checkout_session_for_payment_intent(*, mode: str, account: str, payment_intent: str) -> dict[str, Any] | None:
    """The Checkout Session that created a PaymentIntent, if any."""
    params: SessionListParams = {"payment_intent": payment_intent, "limit": 1}
    with _translated():
        page = _client(mode).v1.checkout.sessions.list(params, _options(account=account))
    return page.data[0].to_dict() if page.data else None


def charge_retrieve(*, mode: str, account: str, charge: str) -> dict[str, Any]:
    with _translated():
        return _client(mode).v1.charges.retrieve(charge, options=_options(account=account)).to_dict()


# --- webhooks ----------------------------------------------------------------------------------


def webhook_event_from_request(*, payload: bytes, signature: str, secrets: list[str], tolerance: int) -> dict[str, Any]:
    """Verify the ``Stripe-Signature`` header against any of ``secrets`` (rotation) and parse the event.

    Raises StripeError (not retryable, status 400) when no secret verifies it or it is stale.
    """
    last: Exception | None = None
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature, secret, tolerance)
        except stripe.SignatureVerificationError as exc:
            last = exc
            continue
        except UnicodeDecodeError as exc:
            last = exc
            break
        try:
            event = jsonparse.loads(payload)  # refuses NUL, lone surrogates, 1e999, deep nesting
        except ValueError as exc:
            raise StripeError(f"The webhook body is not acceptable JSON: {exc}", retryable=False,
                              code="invalid_payload", status_code=400) from exc
        _check_event(event)
        return event
    raise StripeError(f"The Stripe signature does not verify: {last}", retryable=False,
                      code="invalid_signature", status_code=400)


# What the events table can store; Stripe's own ids and types are far shorter.
_EVENT_FIELD_LIMITS = {"id": 255, "type": 100, "account": 255}


def _check_event(event: Any) -> None:
    if not isinstance(event, dict):
        raise StripeError("The webhook body is not a Stripe event.", retryable=False, code="invalid_payload",
                          status_code=400)
    for field, limit in _EVENT_FIELD_LIMITS.items():
        value = event.get(field)
        if field == "account" and value is None:
            continue  # only events of connected accounts carry it
        if not isinstance(value, str) or not 1 <= len(value) <= limit:
            raise StripeError(f"The event's '{field}' must be a string of 1 to {limit} characters.",
                              retryable=False, code="invalid_payload", status_code=400)
    if not isinstance(event.get("livemode", False), bool):
        raise StripeError("The event's 'livemode' must be true or false.", retryable=False, code="invalid_payload",
                          status_code=400)


# --- the platform's own account (the platform plan) -------------------------------------------


def platform_price_create(*, amount_cents: int, lookup_key: str) -> str:
    """The platform plan's recurring Price, on the platform account, in the configured mode."""
    mode = "live" if settings.STRIPE_LIVE_MODE else "test"
    with _translated():
        price = _client(mode).v1.prices.create(
            {"unit_amount": amount_cents, "currency": "usd", "recurring": {"interval": "month"},
             "lookup_key": lookup_key, "product_data": {"name": "dream-api platform plan"}},
            _options(account=None, idempotency_key=f"platform-plan-{lookup_key}-{amount_cents}"),
        )
    return price.id


def platform_portal_configuration(*, marker: str) -> str:
    """The platform account's own portal configuration for developers (invoices, card, cancel at
    period end), found by its ``metadata[dreamapi]`` marker or created once. Returns its id."""
    mode = "live" if settings.STRIPE_LIVE_MODE else "test"
    with _translated():
        for config in _client(mode).v1.billing_portal.configurations.list(
                {"active": True, "limit": 100}, _options(account=None)).auto_paging_iter():
            if (config.to_dict().get("metadata") or {}).get("dreamapi") == marker:
                return config.id
    return portal_configuration_create(mode=mode, account=None, products=[], metadata={"dreamapi": marker},
                                       idempotency_key=f"platform-portal-{marker}")


def platform_price_retrieve(*, price_id: str) -> stripe.Price:
    """The Price as stripe-python's object (what dj-stripe's ``sync_from_stripe_data`` takes)."""
    mode = "live" if settings.STRIPE_LIVE_MODE else "test"
    with _translated():
        return _client(mode).v1.prices.retrieve(price_id, {"expand": ["product"]})
