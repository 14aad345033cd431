"""What each SDK method sends and how its answer is read: shared by the sync and async clients,
which differ only in how they send."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import IO, Any, Final, Generic, TypeVar
from urllib.parse import quote, urlencode

from ._http import Call
from .models import (
    CartItem,
    CheckoutResult,
    Customer,
    DashboardMetrics,
    DashboardTotals,
    DeleteResult,
    FeatureCheck,
    ManagedTier,
    Order,
    Page,
    PlanChange,
    PortalResult,
    Product,
    ProductDetail,
    Revoked,
    SignedIn,
    Tier,
    TierDeleted,
    TrackResult,
    Usage,
)

T = TypeVar("T")


class NotGiven:
    """The default of an argument whose ``None`` means something (``inventory=None``: unlimited),
    so that leaving it out changes nothing."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


class Spec(Generic[T]):
    __slots__ = ("call", "parse")

    def __init__(self, call: Call, parse: Callable[[Any], T]) -> None:
        self.call = call
        self.parse = parse


def _segment(value: str) -> str:
    return quote(value, safe="")


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _given(values: Mapping[str, Any]) -> dict[str, Any]:
    """Fields whose None is a value (unlimited): only NOT_GIVEN is left out."""
    return {k: v for k, v in values.items() if v is not NOT_GIVEN}


def _customer(data: Any) -> Customer:
    return Customer.from_api(data["customer"])


def customer_page(data: Any) -> Page[Customer]:
    pagination = data.get("pagination") or {}
    return Page(items=tuple(Customer.from_api(c) for c in data["customers"]), page=int(pagination.get("page", 1)),
                limit=int(pagination.get("limit", 0)), total=int(pagination.get("total", 0)),
                has_more=bool(pagination.get("hasMore", False)), raw=data)


def order_page(data: Any) -> Page[Order]:
    pagination = data.get("pagination") or {}
    orders = tuple(Order.from_api(o) for o in data.get("orders") or ())
    return Page(items=orders, page=int(pagination.get("page", 1)), limit=int(pagination.get("limit", len(orders))),
                total=int(pagination.get("total", len(orders))), has_more=bool(pagination.get("hasMore", False)),
                raw=data)


def customers_create(*, email: str, password: str | None, first_name: str | None, last_name: str | None,
                     plan: str | None, external_id: str | None, metadata: Mapping[str, Any] | None,
                     idempotency_key: str | None) -> Spec[Customer]:
    body = _drop_none({"email": email, "password": password, "firstName": first_name, "lastName": last_name,
                       "plan": plan, "externalId": external_id, "metadata": metadata})
    return Spec(Call("POST", "/api/customers", body=body, idempotency_key=idempotency_key), _customer)


def customers_get(customer_id: str) -> Spec[Customer]:
    return Spec(Call("GET", f"/api/customers/{_segment(customer_id)}"), _customer)


def customers_update(customer_id: str, *, plan: str | None, first_name: str | None, last_name: str | None,
                     metadata: Mapping[str, Any] | None, idempotency_key: str | None) -> Spec[Customer]:
    body = _drop_none({"plan": plan, "firstName": first_name, "lastName": last_name, "metadata": metadata})
    return Spec(Call("PATCH", f"/api/customers/{_segment(customer_id)}", body=body, idempotency_key=idempotency_key),
                _customer)


def customers_delete(customer_id: str) -> Spec[DeleteResult]:
    return Spec(Call("DELETE", f"/api/customers/{_segment(customer_id)}"), DeleteResult.from_api)


def customers_list(*, search: str | None, page: int, limit: int | None) -> Spec[Page[Customer]]:
    return Spec(Call("GET", "/api/customers", query={"search": search, "page": page, "limit": limit}), customer_page)


def usage_track(*, user_id: str | None, user_token: str | None, feature: str | None, amount: int | None,
                idempotency_key: str | None) -> Spec[TrackResult]:
    body = _drop_none({"feature": feature, "amount": amount}) or None
    return Spec(Call("POST", "/api/data", body=body, user_id=user_id, user_token=user_token,
                     idempotency_key=idempotency_key), TrackResult.from_api)


def usage_check(*, user_id: str | None, user_token: str | None, feature: str | None) -> Spec[Usage]:
    def parse(data: Any) -> Usage:
        return Usage.from_api(data["usage"] if isinstance(data.get("usage"), Mapping) else data)

    return Spec(Call("GET", "/api/usage", query={"feature": feature}, user_id=user_id, user_token=user_token), parse)


def usage_check_feature(*, user_id: str | None, user_token: str | None, feature: str | None,
                        amount: int | None) -> Spec[FeatureCheck]:
    return Spec(Call("GET", "/api/check", query={"feature": feature, "amount": amount}, user_id=user_id,
                     user_token=user_token), FeatureCheck.from_api)


def billing_checkout(*, tier: str | None, price_id: str | None, success_url: str | None, cancel_url: str | None,
                     user_id: str | None, user_token: str | None, idempotency_key: str | None) -> Spec[CheckoutResult]:
    body = _drop_none({"tier": tier, "priceId": price_id, "successUrl": success_url, "cancelUrl": cancel_url})
    return Spec(Call("POST", "/api/create-checkout", body=body, user_id=user_id, user_token=user_token,
                     idempotency_key=idempotency_key), CheckoutResult.from_api)


def billing_change_plan(*, tier: str, user_id: str | None, user_token: str | None,
                        idempotency_key: str | None) -> Spec[PlanChange]:
    return Spec(Call("POST", "/api/change-plan", body={"tier": tier}, user_id=user_id, user_token=user_token,
                     idempotency_key=idempotency_key), PlanChange.from_api)


def billing_portal(*, return_url: str | None, user_id: str | None, user_token: str | None,
                   idempotency_key: str | None) -> Spec[PortalResult]:
    body = _drop_none({"returnUrl": return_url})
    return Spec(Call("POST", "/api/customer-portal", body=body, user_id=user_id, user_token=user_token,
                     idempotency_key=idempotency_key), PortalResult.from_api)


def tiers_list() -> Spec[list[Tier]]:
    return Spec(Call("GET", "/api/tiers"), lambda data: [Tier.from_api(t) for t in data["tiers"]])


def products_list() -> Spec[list[Product]]:
    return Spec(Call("GET", "/api/products"), lambda data: [Product.from_api(p) for p in data["products"]])


def _product(data: Any) -> ProductDetail:
    return ProductDetail.from_api(data["product"])


def _product_path(product_id: str) -> str:
    return f"/api/products/{_segment(product_id)}"


def products_get(product_id: str) -> Spec[ProductDetail]:
    return Spec(Call("GET", _product_path(product_id)), _product)


def products_create(*, name: str, price: int, display_name: str | None, description: str | None,
                    currency: str | None, inventory: int | None | NotGiven, features: Sequence[str] | None,
                    active: bool | None, order: int | None, restock_on_refund: bool | None,
                    idempotency_key: str | None) -> Spec[ProductDetail]:
    body = _drop_none({"name": name, "price": price, "displayName": display_name, "description": description,
                       "currency": currency, "features": None if features is None else list(features),
                       "active": active, "order": order, "restockOnRefund": restock_on_refund})
    body.update(_given({"inventory": inventory}))
    return Spec(Call("POST", "/api/products", body=body, idempotency_key=idempotency_key), _product)


def products_update(product_id: str, *, display_name: str | None, description: str | None, price: int | None,
                    currency: str | None, inventory: int | None | NotGiven, features: Sequence[str] | None,
                    active: bool | None, order: int | None, restock_on_refund: bool | None,
                    idempotency_key: str | None) -> Spec[ProductDetail]:
    body = _drop_none({"displayName": display_name, "description": description, "price": price, "currency": currency,
                       "features": None if features is None else list(features), "active": active, "order": order,
                       "restockOnRefund": restock_on_refund})
    body.update(_given({"inventory": inventory}))
    return Spec(Call("PATCH", _product_path(product_id), body=body, idempotency_key=idempotency_key), _product)


def products_archive(product_id: str) -> Spec[ProductDetail]:
    return Spec(Call("DELETE", _product_path(product_id)), _product)


def products_upload_image(product_id: str, *, image: bytes | IO[bytes], filename: str,
                          content_type: str | None) -> Spec[ProductDetail]:
    content = image if isinstance(image, bytes) else image.read()
    kind = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return Spec(Call("POST", f"{_product_path(product_id)}/image", files={"image": (filename, content, kind)}),
                _product)


def products_delete_image(product_id: str) -> Spec[ProductDetail]:
    return Spec(Call("DELETE", f"{_product_path(product_id)}/image"), _product)


def _managed_tier(data: Any) -> ManagedTier:
    return ManagedTier.from_api(data["tier"])


def tiers_create(*, name: str, display_name: str | None, price: int | None, currency: str | None,
                 interval: str | None, limit: int | None | NotGiven, features: Sequence[str] | None,
                 popular: bool | None, order: int | None, trial_days: int | None, trial_requires_card: bool | None,
                 idempotency_key: str | None) -> Spec[ManagedTier]:
    body = _drop_none({"name": name, "displayName": display_name, "price": price, "currency": currency,
                       "interval": interval, "features": None if features is None else list(features),
                       "popular": popular, "order": order, "trialDays": trial_days,
                       "trialRequiresCard": trial_requires_card})
    body.update(_given({"limit": limit}))
    return Spec(Call("POST", "/api/tiers", body=body, idempotency_key=idempotency_key), _managed_tier)


def tiers_update(tier_id: str, *, display_name: str | None, price: int | None, currency: str | None,
                 interval: str | None, limit: int | None | NotGiven, features: Sequence[str] | None,
                 popular: bool | None, order: int | None, trial_days: int | None, trial_requires_card: bool | None,
                 idempotency_key: str | None) -> Spec[ManagedTier]:
    body = _drop_none({"displayName": display_name, "price": price, "currency": currency, "interval": interval,
                       "features": None if features is None else list(features), "popular": popular,
                       "order": order, "trialDays": trial_days, "trialRequiresCard": trial_requires_card})
    body.update(_given({"limit": limit}))
    return Spec(Call("PATCH", f"/api/tiers/{_segment(tier_id)}", body=body, idempotency_key=idempotency_key),
                _managed_tier)


def tiers_delete(tier_id: str, *, move_users_to: str | None) -> Spec[TierDeleted]:
    return Spec(Call("DELETE", f"/api/tiers/{_segment(tier_id)}", query={"moveUsersTo": move_users_to}),
                TierDeleted.from_api)


def cart_checkout(*, items: Sequence[CartItem], customer_email: str | None, customer_name: str | None,
                  success_url: str | None, cancel_url: str | None,
                  idempotency_key: str | None) -> Spec[CheckoutResult]:
    body = _drop_none({"items": [dict(i) for i in items], "email": customer_email, "name": customer_name,
                       "successUrl": success_url, "cancelUrl": cancel_url})
    return Spec(Call("POST", "/api/cart/checkout", body=body, idempotency_key=idempotency_key),
                CheckoutResult.from_api)


def _moment(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def orders_list(*, page: int, limit: int | None, since: datetime | str | None, until: datetime | str | None,
                status: str | None, search: str | None) -> Spec[Page[Order]]:
    query = {"page": page, "limit": limit, "since": _moment(since), "until": _moment(until), "status": status,
             "search": search}
    return Spec(Call("GET", "/api/orders", query=query), order_page)


def dashboard_get() -> Spec[DashboardMetrics]:
    return Spec(Call("GET", "/api/dashboard"), DashboardMetrics.from_api)


def dashboard_totals() -> Spec[DashboardTotals]:
    return Spec(Call("GET", "/api/dashboard/totals"), DashboardTotals.from_api)


def auth_exchange(*, code: str, redirect_uri: str, code_verifier: str | None) -> Spec[SignedIn]:
    body = _drop_none({"code": code, "redirectUri": redirect_uri, "codeVerifier": code_verifier})
    return Spec(Call("POST", "/api/auth/exchange", body=body), SignedIn.from_api)


def _one_of(customer_id: str | None, token: str | None) -> dict[str, str]:
    if (customer_id is None) == (token is None):
        raise ValueError("pass exactly one of customer_id and token")
    return {"customerId": customer_id} if customer_id is not None else {"token": token or ""}


def auth_refresh(*, customer_id: str | None, token: str | None) -> Spec[SignedIn]:
    return Spec(Call("POST", "/api/auth/refresh", body=_one_of(customer_id, token)), SignedIn.from_api)


def auth_revoke(*, customer_id: str | None, token: str | None) -> Spec[Revoked]:
    return Spec(Call("POST", "/api/auth/revoke", body=_one_of(customer_id, token), user_token=token),
                Revoked.from_api)


def hosted_url(base: str, path: str, publishable_key: str | None, redirect: str) -> str:
    if not publishable_key:
        raise ValueError("publishable_key is required for the hosted pages' URLs")
    return f"{base}{path}?{urlencode({'pk': publishable_key, 'redirect': redirect})}"
