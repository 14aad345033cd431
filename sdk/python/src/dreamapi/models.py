"""Typed answers of the API, as frozen dataclasses.

Each model keeps the whole JSON object it was made from in ``raw``, so a field the server adds
before the SDK knows it is still there (``customer.raw["newField"]``). Field names are the
API's camelCase names in snake_case (``firstName`` → ``first_name``); ``WIRE`` maps the one
exception per model, if any. ``tests/test_schema.py`` checks every field of the live OpenAPI
schema has its attribute here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, ClassVar, Generic, TypedDict, TypeVar

T = TypeVar("T")

UNLIMITED = None
"""A limit or remaining count of ``None`` means unlimited (the API's ``"unlimited"``)."""


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _datetime(value: Any) -> datetime | None:
    """An ISO 8601 string or epoch milliseconds (the original service's createdAt)."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    raise ValueError(f"not a date: {value!r}")


def _limit(value: Any) -> int | None:
    if value is None or value == "unlimited" or value == -1:
        return None
    return int(value)


def _str(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Model:
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    WIRE: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def attribute_for(cls, wire_name: str) -> str:
        return cls.WIRE.get(wire_name, snake(wire_name))

    @classmethod
    def attributes(cls) -> set[str]:
        return {f.name for f in fields(cls)}


@dataclass(frozen=True)
class Customer(Model):
    id: str = ""
    email: str = ""
    plan: str = ""
    first_name: str = ""
    last_name: str = ""
    publishable_key: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    external_id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    email_verified: bool | None = None
    created: datetime | None = None
    """``createdAt`` again, as the API's ISO 8601 text (the same moment)."""
    updated: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Customer:
        return cls(
            raw=data,
            id=_str(data.get("id")),
            email=_str(data.get("email")),
            plan=_str(data.get("plan")),
            first_name=_str(data.get("firstName")),
            last_name=_str(data.get("lastName")),
            publishable_key=_str(data.get("publishableKey")),
            created_at=_datetime(data.get("createdAt")),
            updated_at=_datetime(data.get("updatedAt")),
            external_id=data.get("externalId"),
            metadata=data.get("metadata") or {},
            email_verified=data.get("emailVerified"),
            created=_datetime(data.get("created")),
            updated=_datetime(data.get("updated")),
        )


@dataclass(frozen=True)
class Usage(Model):
    """The end user's usage this period. ``limit``/``remaining`` are ``None`` when unlimited."""

    user_id: str = ""
    plan: str = ""
    usage_count: int = 0
    limit: int | None = None
    remaining: int | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    feature: str | None = None
    features: Mapping[str, Meter] | None = None
    """``GET /api/usage``: every meter of the project, by feature key (when it defines features)."""

    @property
    def count(self) -> int:
        """dream-api's earlier name for ``usage_count``."""
        return self.usage_count

    @property
    def unlimited(self) -> bool:
        return self.limit is None

    @classmethod
    def attributes(cls) -> set[str]:
        return super().attributes() | {"count"}

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Usage:
        count = data.get("usageCount", data.get("count", 0))
        return cls(
            raw=data,
            user_id=_str(data.get("userId")),
            plan=_str(data.get("plan")),
            usage_count=int(count or 0),
            limit=_limit(data.get("limit")),
            remaining=_limit(data.get("remaining")),
            period_start=_datetime(data.get("periodStart")),
            period_end=_datetime(data.get("periodEnd")),
            feature=data.get("feature"),
            features=({key: Meter.from_api(meter) for key, meter in data["features"].items()}
                      if isinstance(data.get("features"), Mapping) else None),
        )


@dataclass(frozen=True)
class Meter(Model):
    """One meter in ``Usage.features``: ``limit``/``remaining`` ``None`` when unlimited, ``0`` when
    the end user's plan does not include it."""

    usage_count: int = 0
    limit: int | None = None
    remaining: int | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Meter:
        return cls(raw=data, usage_count=int(data.get("usageCount") or 0), limit=_limit(data.get("limit")),
                   remaining=_limit(data.get("remaining")))


@dataclass(frozen=True)
class FeatureCheck(Model):
    """``GET /api/check``: may the end user use ``feature`` now? The usage fields only for a metered one."""

    user_id: str = ""
    plan: str = ""
    feature: str = ""
    type: str = ""
    allowed: bool = False
    usage_count: int | None = None
    limit: int | None = None
    remaining: int | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> FeatureCheck:
        metered = "usageCount" in data
        return cls(
            raw=data,
            user_id=_str(data.get("userId")),
            plan=_str(data.get("plan")),
            feature=_str(data.get("feature")),
            type=_str(data.get("type")),
            allowed=bool(data.get("allowed")),
            usage_count=int(data["usageCount"]) if metered else None,
            limit=_limit(data.get("limit")) if metered else None,
            remaining=_limit(data.get("remaining")) if metered else None,
            period_start=_datetime(data.get("periodStart")),
            period_end=_datetime(data.get("periodEnd")),
        )


Entitlement = int | bool | None
"""A plan's grant of one feature: a metered feature's limit per period (``None``: unlimited), an
on/off feature's ``True``/``False``."""


def entitlements_from_api(data: Any) -> dict[str, Entitlement]:
    """The API's entitlements map (``{"api_calls": 10000, "storage": "unlimited", "sso": true}``)."""
    if not isinstance(data, Mapping):
        return {}
    return {str(key): value if isinstance(value, bool) else _limit(value) for key, value in data.items()}


def entitled(entitlements: Mapping[str, Entitlement], feature: str) -> bool:
    """Whether ``entitlements`` grant ``feature`` at all: an on/off feature that is on, or a
    metered one with a limit above 0 (or unlimited). A feature not in the map is not granted."""
    if feature not in entitlements:
        return False
    value = entitlements[feature]
    if isinstance(value, bool):
        return value
    return value is None or value > 0


@dataclass(frozen=True)
class TrackResult(Model):
    success: bool = True
    usage: Usage = field(default_factory=lambda: Usage(raw={}))

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> TrackResult:
        usage = data.get("usage", data)
        return cls(raw=data, success=bool(data.get("success", True)), usage=Usage.from_api(usage))


@dataclass(frozen=True)
class Tier(Model):
    name: str = ""
    display_name: str = ""
    price: int = 0
    limit: int | None = None
    price_id: str = ""
    product_id: str = ""
    features: tuple[str, ...] = ()
    popular: bool = False
    id: str = ""
    currency: str = ""
    interval: str = ""
    description: str = ""
    billing_mode: str = ""
    trial_days: int | None = None
    trial_requires_card: bool = True
    entitlements: Mapping[str, Entitlement] = field(default_factory=dict)
    """What the tier grants, by feature key (``entitlements_from_api``)."""

    def has_feature(self, feature: str) -> bool:
        return entitled(self.entitlements, feature)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Tier:
        return cls(raw=data, **cls._fields(data))

    @staticmethod
    def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
        if "displayName" in data:
            name, display_name = _str(data.get("name")), _str(data.get("displayName"))
        else:  # dream-api before the original's names: id was the identifier, name the display name
            name, display_name = _str(data.get("id") or data.get("name")), _str(data.get("name"))
        return {
            "name": name,
            "display_name": display_name,
            "price": int(data.get("price") or 0),
            "limit": _limit(data.get("limit")),
            "price_id": _str(data.get("priceId")),
            "product_id": _str(data.get("productId")),
            "features": tuple(data.get("features") or ()),
            "popular": bool(data.get("popular", False)),
            "id": _str(data.get("id") or name),
            "currency": _str(data.get("currency")),
            "interval": _str(data.get("interval")),
            "description": _str(data.get("description")),
            "billing_mode": _str(data.get("billingMode")),
            "trial_days": data.get("trialDays"),
            "trial_requires_card": bool(data.get("trialRequiresCard", True)),
            "entitlements": entitlements_from_api(data.get("entitlements")),
        }


@dataclass(frozen=True)
class ManagedTier(Tier):
    """A tier as ``POST/PATCH /api/tiers`` answer it (secret key): also its place in the list and
    whether new end users start on it. ``price_id``/``product_id`` are ``""`` without a Stripe
    price, ``limit`` ``None`` when unlimited, as for :class:`Tier`."""

    order: int = 0
    default: bool = False

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ManagedTier:
        return cls(raw=data, **cls._fields(data), order=int(data.get("order") or 0),
                   default=bool(data.get("default", False)))


@dataclass(frozen=True)
class TierDeleted(Model):
    success: bool = True
    deleted: bool = True
    id: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> TierDeleted:
        return cls(raw=data, success=bool(data.get("success", True)), deleted=bool(data.get("deleted", True)),
                   id=_str(data.get("id")))


@dataclass(frozen=True)
class Product(Model):
    name: str = ""
    price: int = 0
    price_id: str = ""
    product_id: str = ""
    id: str = ""
    display_name: str = ""
    description: str = ""
    currency: str = ""
    image_url: str = ""
    inventory: int | None = None
    sold_out: bool = False
    features: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Product:
        return cls(raw=data, **cls._fields(data))

    @staticmethod
    def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": _str(data.get("name")),
            "price": int(data.get("price") or 0),
            "price_id": _str(data.get("priceId")),
            "product_id": _str(data.get("productId")),
            "id": _str(data.get("id")),
            "display_name": _str(data.get("displayName")),
            "description": _str(data.get("description")),
            "currency": _str(data.get("currency")),
            "image_url": _str(data.get("imageUrl")),
            "inventory": data.get("inventory"),
            "sold_out": bool(data.get("soldOut", False)),
            "features": tuple(data.get("features") or ()),
        }


@dataclass(frozen=True)
class ProductDetail(Product):
    """A product as its owner sees it (secret key): the listing's fields and the stock counters.
    ``stock`` is the units on hand (``None``: unlimited), ``inventory`` what can still be bought."""

    active: bool = True
    order: int = 0
    stock: int | None = None
    reserved: int = 0
    sold: int = 0
    restock_on_refund: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ProductDetail:
        return cls(raw=data, **cls._fields(data), active=bool(data.get("active", True)),
                   order=int(data.get("order") or 0), stock=data.get("stock"), reserved=int(data.get("reserved") or 0),
                   sold=int(data.get("sold") or 0), restock_on_refund=bool(data.get("restockOnRefund", False)),
                   created_at=_datetime(data.get("createdAt")), updated_at=_datetime(data.get("updatedAt")))


class CartItem(TypedDict):
    """A line of ``products.cart_checkout(items=[…])``, in the API's own keys."""

    priceId: str  # noqa: N815 (the wire name)
    quantity: int


@dataclass(frozen=True)
class CheckoutResult(Model):
    url: str = ""
    session_id: str = ""
    expires_at: datetime | None = None
    """A cart checkout's hold on the stock ends then (``None`` for a subscription checkout)."""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CheckoutResult:
        return cls(raw=data, url=_str(data.get("url")), session_id=_str(data.get("sessionId")),
                   expires_at=_datetime(data.get("expiresAt")))


@dataclass(frozen=True)
class PortalResult(Model):
    url: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> PortalResult:
        return cls(raw=data, url=_str(data.get("url")))


@dataclass(frozen=True)
class DeletedCustomer(Model):
    id: str = ""
    email: str = ""
    external_id: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> DeletedCustomer:
        return cls(raw=data, id=_str(data.get("id")), email=_str(data.get("email")),
                   external_id=data.get("externalId"))


@dataclass(frozen=True)
class PlanSubscription(Model):
    """The end user's Stripe subscription after a plan change."""

    id: str = ""
    status: str = ""
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    trial_end: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> PlanSubscription:
        return cls(raw=data, id=_str(data.get("id")), status=_str(data.get("status")),
                   current_period_end=_datetime(data.get("currentPeriodEnd")),
                   cancel_at_period_end=bool(data.get("cancelAtPeriodEnd", False)),
                   trial_end=_datetime(data.get("trialEnd")))


@dataclass(frozen=True)
class PlanChange(Model):
    """What ``billing.change_plan`` did. ``changed``: ``"now"`` (the end user is on ``plan`` from now;
    an upgrade is charged ``amount_charged``), ``"at_period_end"`` (``pending_plan`` takes over at
    ``effective_at``: a downgrade, or the default free tier), ``"unscheduled"`` (a pending change was
    withdrawn) or ``"none"``."""

    success: bool = True
    changed: str = ""
    plan: str = ""
    previous_plan: str = ""
    pending_plan: str | None = None
    effective_at: datetime | None = None
    amount_charged: int = 0
    currency: str = ""
    invoice_id: str | None = None
    subscription: PlanSubscription | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> PlanChange:
        subscription = data.get("subscription")
        return cls(
            raw=data,
            success=bool(data.get("success", True)),
            changed=_str(data.get("changed")),
            plan=_str(data.get("plan")),
            previous_plan=_str(data.get("previousPlan")),
            pending_plan=data.get("pendingPlan"),
            effective_at=_datetime(data.get("effectiveAt")),
            amount_charged=int(data.get("amountCharged") or 0),
            currency=_str(data.get("currency")),
            invoice_id=data.get("invoiceId"),
            subscription=PlanSubscription.from_api(subscription) if isinstance(subscription, Mapping) else None,
        )


@dataclass(frozen=True)
class DeleteResult(Model):
    success: bool = True
    message: str = ""
    deleted: DeletedCustomer = field(default_factory=lambda: DeletedCustomer(raw={}))

    @property
    def deleted_id(self) -> str:
        return self.deleted.id

    @property
    def deleted_email(self) -> str:
        return self.deleted.email

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> DeleteResult:
        deleted = data.get("deleted")
        if not isinstance(deleted, Mapping):  # dream-api before the original's {deleted: {id, email}}
            deleted = {"id": data.get("id")}
        return cls(raw=data, success=bool(data.get("success", True)), message=_str(data.get("message")),
                   deleted=DeletedCustomer.from_api(deleted))


@dataclass(frozen=True)
class SignedIn(Model):
    """An end user and their token (``POST /api/auth/exchange`` and ``/refresh``)."""

    customer: Customer = field(default_factory=lambda: Customer(raw={}))
    token: str = ""
    expires_in: int = 0
    success: bool = True

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SignedIn:
        return cls(raw=data, customer=Customer.from_api(data.get("customer") or {}), token=_str(data.get("token")),
                   expires_in=int(data.get("expiresIn") or 0), success=bool(data.get("success", True)))


@dataclass(frozen=True)
class Revoked(Model):
    success: bool = True
    customer_id: str = ""
    revoked_at: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Revoked:
        return cls(raw=data, success=bool(data.get("success", True)), customer_id=_str(data.get("customerId")),
                   revoked_at=_datetime(data.get("revokedAt")))


@dataclass(frozen=True)
class OrderLine(Model):
    product_id: str = ""
    price_id: str = ""
    name: str = ""
    quantity: int = 0
    unit_amount: int = 0
    amount: int = 0

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> OrderLine:
        return cls(raw=data, product_id=_str(data.get("productId")), price_id=_str(data.get("priceId")),
                   name=_str(data.get("name")), quantity=int(data.get("quantity") or 0),
                   unit_amount=int(data.get("unitAmount") or 0), amount=int(data.get("amount") or 0))


@dataclass(frozen=True)
class Order(Model):
    """A paid cart. ``customer`` is the buyer's name, else their e-mail (the original's field);
    money in minor units of ``currency``."""

    customer: str = ""
    email: str = ""
    amount: int = 0
    payment_id: str = ""
    date: datetime | None = None
    id: str = ""
    status: str = ""
    name: str = ""
    amount_refunded: int = 0
    currency: str = ""
    session_id: str = ""
    items: tuple[OrderLine, ...] = ()

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Order:
        return cls(raw=data, customer=_str(data.get("customer")), email=_str(data.get("email")),
                   amount=int(data.get("amount") or 0), payment_id=_str(data.get("paymentId")),
                   date=_datetime(data.get("date")), id=_str(data.get("id")), status=_str(data.get("status")),
                   name=_str(data.get("name")), amount_refunded=int(data.get("amountRefunded") or 0),
                   currency=_str(data.get("currency")), session_id=_str(data.get("sessionId")),
                   items=tuple(OrderLine.from_api(line) for line in data.get("items") or ()))


@dataclass(frozen=True)
class ProjectTotals(Model):
    id: str = ""
    name: str = ""
    mrr: int = 0
    revenue: int = 0
    customers: int = 0
    active_subscriptions: int = 0

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ProjectTotals:
        return cls(raw=data, id=_str(data.get("id")), name=_str(data.get("name")), mrr=int(data.get("mrr") or 0),
                   revenue=int(data.get("revenue") or 0), customers=int(data.get("customers") or 0),
                   active_subscriptions=int(data.get("activeSubscriptions") or 0))


@dataclass(frozen=True)
class DashboardTotals(Model):
    """Every project of the key's developer, in the key's mode; money in minor units of ``currency``."""

    total_revenue: int = 0
    total_customers: int = 0
    total_mrr: int = 0
    mode: str = ""
    currency: str = ""
    total_revenue_this_month: int = 0
    active_subscriptions: int = 0
    canceling_subscriptions: int = 0
    projects: tuple[ProjectTotals, ...] = ()

    WIRE: ClassVar[Mapping[str, str]] = {"totalMRR": "total_mrr"}

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> DashboardTotals:
        return cls(raw=data, total_revenue=int(data.get("totalRevenue") or 0),
                   total_customers=int(data.get("totalCustomers") or 0), total_mrr=int(data.get("totalMRR") or 0),
                   mode=_str(data.get("mode")), currency=_str(data.get("currency")),
                   total_revenue_this_month=int(data.get("totalRevenueThisMonth") or 0),
                   active_subscriptions=int(data.get("activeSubscriptions") or 0),
                   canceling_subscriptions=int(data.get("cancelingSubscriptions") or 0),
                   projects=tuple(ProjectTotals.from_api(p) for p in data.get("projects") or ()))


@dataclass(frozen=True)
class DashboardCustomer(Model):
    """One of the newest end users in ``dashboard.get()``; ``limit`` ``None`` when unlimited."""

    id: str = ""
    email: str = ""
    plan: str = ""
    usage: int = 0
    limit: int | None = None
    status: str = ""
    renews_at: datetime | None = None
    external_id: str | None = None
    created_at: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> DashboardCustomer:
        return cls(raw=data, id=_str(data.get("id")), email=_str(data.get("email")), plan=_str(data.get("plan")),
                   usage=int(data.get("usage") or 0), limit=_limit(data.get("limit")), status=_str(data.get("status")),
                   renews_at=_datetime(data.get("renewsAt")), external_id=data.get("externalId"),
                   created_at=_datetime(data.get("createdAt")))


@dataclass(frozen=True)
class WebhookStatusEvent(Model):
    """One of the latest Stripe events the project received (``WebhookStatus.recent_events``)."""

    type: str = ""
    timestamp: datetime | None = None
    status: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> WebhookStatusEvent:
        return cls(raw=data, type=_str(data.get("type")), timestamp=_datetime(data.get("timestamp")),
                   status=_str(data.get("status")))


@dataclass(frozen=True)
class WebhookStatus(Model):
    url: str = ""
    last_event: datetime | None = None
    failed_events: int = 0
    recent_events: tuple[WebhookStatusEvent, ...] = ()

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> WebhookStatus:
        return cls(raw=data, url=_str(data.get("url")), last_event=_datetime(data.get("lastEvent")),
                   failed_events=int(data.get("failedEvents") or 0),
                   recent_events=tuple(WebhookStatusEvent.from_api(e) for e in data.get("recentEvents") or ()))


@dataclass(frozen=True)
class DashboardMetrics(Model):
    """The project's metrics in the key's mode; money in minor units of ``currency``.
    ``total_revenue`` is ``subscription_revenue`` (paid invoices) plus ``store_revenue`` (paid
    orders minus refunds); ``total_sales`` counts the store's orders in every currency,
    ``avg_order_value`` is per order in ``currency``, before refunds. ``tiers`` are as
    ``products.list_tiers()`` lists them; ``products`` every product, archived ones too."""

    active_subscriptions: int = 0
    canceling_subscriptions: int = 0
    mrr: int = 0
    usage_this_period: int = 0
    total_revenue: int = 0
    subscription_revenue: int = 0
    store_revenue: int = 0
    total_sales: int = 0
    avg_order_value: int = 0
    customers: tuple[DashboardCustomer, ...] = ()
    tiers: tuple[Tier, ...] = ()
    products: tuple[ProductDetail, ...] = ()
    orders: tuple[Order, ...] = ()
    webhook_status: WebhookStatus = field(default_factory=lambda: WebhookStatus(raw={}))
    project_id: str = ""
    mode: str = ""
    currency: str = ""
    trialing_subscriptions: int = 0
    mrr_by_currency: Mapping[str, int] = field(default_factory=dict)
    revenue_this_month: int = 0
    customers_total: int = 0
    customers_new_this_month: int = 0

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> DashboardMetrics:
        return cls(
            raw=data,
            active_subscriptions=int(data.get("activeSubscriptions") or 0),
            canceling_subscriptions=int(data.get("cancelingSubscriptions") or 0),
            mrr=int(data.get("mrr") or 0),
            usage_this_period=int(data.get("usageThisPeriod") or 0),
            total_revenue=int(data.get("totalRevenue") or 0),
            subscription_revenue=int(data.get("subscriptionRevenue") or 0),
            store_revenue=int(data.get("storeRevenue") or 0),
            total_sales=int(data.get("totalSales") or 0),
            avg_order_value=int(data.get("avgOrderValue") or 0),
            customers=tuple(DashboardCustomer.from_api(c) for c in data.get("customers") or ()),
            tiers=tuple(Tier.from_api(t) for t in data.get("tiers") or ()),
            products=tuple(ProductDetail.from_api(p) for p in data.get("products") or ()),
            orders=tuple(Order.from_api(o) for o in data.get("orders") or ()),
            webhook_status=WebhookStatus.from_api(data.get("webhookStatus") or {}),
            project_id=_str(data.get("projectId")),
            mode=_str(data.get("mode")),
            currency=_str(data.get("currency")),
            trialing_subscriptions=int(data.get("trialingSubscriptions") or 0),
            mrr_by_currency=dict(data.get("mrrByCurrency") or {}),
            revenue_this_month=int(data.get("revenueThisMonth") or 0),
            customers_total=int(data.get("customersTotal") or 0),
            customers_new_this_month=int(data.get("customersNewThisMonth") or 0),
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; ``has_more`` says whether another follows."""

    items: tuple[T, ...]
    page: int
    limit: int
    total: int
    has_more: bool
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
