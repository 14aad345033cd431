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
from typing import Any, ClassVar, Generic, TypeVar

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
        )


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

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Tier:
        if "displayName" in data:
            name, display_name = _str(data.get("name")), _str(data.get("displayName"))
        else:  # dream-api before the original's names: id was the identifier, name the display name
            name, display_name = _str(data.get("id") or data.get("name")), _str(data.get("name"))
        return cls(
            raw=data,
            name=name,
            display_name=display_name,
            price=int(data.get("price") or 0),
            limit=_limit(data.get("limit")),
            price_id=_str(data.get("priceId")),
            product_id=_str(data.get("productId")),
            features=tuple(data.get("features") or ()),
            popular=bool(data.get("popular", False)),
            id=_str(data.get("id")),
            currency=_str(data.get("currency")),
            interval=_str(data.get("interval")),
            description=_str(data.get("description")),
            billing_mode=_str(data.get("billingMode")),
            trial_days=data.get("trialDays"),
            trial_requires_card=bool(data.get("trialRequiresCard", True)),
        )


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
        return cls(
            raw=data,
            name=_str(data.get("name")),
            price=int(data.get("price") or 0),
            price_id=_str(data.get("priceId")),
            product_id=_str(data.get("productId")),
            id=_str(data.get("id")),
            display_name=_str(data.get("displayName")),
            description=_str(data.get("description")),
            currency=_str(data.get("currency")),
            image_url=_str(data.get("imageUrl")),
            inventory=data.get("inventory"),
            sold_out=bool(data.get("soldOut", False)),
            features=tuple(data.get("features") or ()),
        )


@dataclass(frozen=True)
class CheckoutResult(Model):
    url: str = ""
    session_id: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CheckoutResult:
        return cls(raw=data, url=_str(data.get("url")), session_id=_str(data.get("sessionId")))


@dataclass(frozen=True)
class PortalResult(Model):
    url: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> PortalResult:
        return cls(raw=data, url=_str(data.get("url")))


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
    deleted_id: str = ""
    deleted_email: str = ""

    WIRE: ClassVar[Mapping[str, str]] = {"deleted": "deleted_id", "id": "deleted_id"}

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> DeleteResult:
        deleted = data.get("deleted")
        if isinstance(deleted, Mapping):
            deleted_id, email = _str(deleted.get("id")), _str(deleted.get("email"))
        else:  # dream-api before the original's {deleted: {id, email}}
            deleted_id, email = _str(data.get("id")), ""
        return cls(raw=data, success=bool(data.get("success", True)), message=_str(data.get("message")),
                   deleted_id=deleted_id, deleted_email=email)


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
class Order(Model):
    customer: str = ""
    email: str = ""
    amount: int = 0
    payment_id: str = ""
    date: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Order:
        return cls(raw=data, customer=_str(data.get("customer")), email=_str(data.get("email")),
                   amount=int(data.get("amount") or 0), payment_id=_str(data.get("paymentId")),
                   date=_str(data.get("date")))


@dataclass(frozen=True)
class DashboardTotals(Model):
    total_revenue: int = 0
    total_customers: int = 0
    total_mrr: int = 0

    WIRE: ClassVar[Mapping[str, str]] = {"totalMRR": "total_mrr"}

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> DashboardTotals:
        return cls(raw=data, total_revenue=int(data.get("totalRevenue") or 0),
                   total_customers=int(data.get("totalCustomers") or 0), total_mrr=int(data.get("totalMRR") or 0))


@dataclass(frozen=True)
class DashboardMetrics(Model):
    active_subscriptions: int = 0
    canceling_subscriptions: int = 0
    mrr: int = 0
    usage_this_period: int = 0
    total_revenue: int | None = None
    total_sales: int | None = None
    avg_order_value: int | None = None
    customers: tuple[Mapping[str, Any], ...] = ()
    tiers: tuple[Tier, ...] = ()
    products: tuple[Product, ...] = ()
    orders: tuple[Order, ...] = ()
    webhook_status: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> DashboardMetrics:
        return cls(
            raw=data,
            active_subscriptions=int(data.get("activeSubscriptions") or 0),
            canceling_subscriptions=int(data.get("cancelingSubscriptions") or 0),
            mrr=int(data.get("mrr") or 0),
            usage_this_period=int(data.get("usageThisPeriod") or 0),
            total_revenue=data.get("totalRevenue"),
            total_sales=data.get("totalSales"),
            avg_order_value=data.get("avgOrderValue"),
            customers=tuple(data.get("customers") or ()),
            tiers=tuple(Tier.from_api(t) for t in data.get("tiers") or ()),
            products=tuple(Product.from_api(p) for p in data.get("products") or ()),
            orders=tuple(Order.from_api(o) for o in data.get("orders") or ()),
            webhook_status=data.get("webhookStatus") or {},
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
