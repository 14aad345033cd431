"""dream-api's official Python client (sync and async, on httpx).

    from dreamapi import DreamAPI

    api = DreamAPI(secret_key="sk_test_…", base_url="http://localhost:8000")
    customer = api.customers.create("sharon@example.com")
    result = api.usage.track(user_id=customer.id)
"""

from ._client import AsyncDreamAPI, DreamAPI
from ._http import parse_retry_after
from ._specs import NOT_GIVEN
from .errors import DreamAPIError
from .models import (
    CartItem,
    CheckoutResult,
    Customer,
    DashboardCustomer,
    DashboardMetrics,
    DashboardTotals,
    DeletedCustomer,
    DeleteResult,
    Entitlement,
    FeatureCheck,
    ManagedTier,
    Meter,
    Order,
    OrderLine,
    Page,
    PlanChange,
    PlanSubscription,
    PortalResult,
    Product,
    ProductDetail,
    ProjectTotals,
    Revoked,
    SignedIn,
    Tier,
    TierDeleted,
    TrackResult,
    Usage,
    WebhookStatus,
    WebhookStatusEvent,
)

__version__ = "1.0.0"

__all__ = [
    "NOT_GIVEN",
    "AsyncDreamAPI",
    "CartItem",
    "CheckoutResult",
    "Customer",
    "DashboardCustomer",
    "DashboardMetrics",
    "DashboardTotals",
    "DeleteResult",
    "DeletedCustomer",
    "DreamAPI",
    "DreamAPIError",
    "Entitlement",
    "FeatureCheck",
    "ManagedTier",
    "Meter",
    "Order",
    "OrderLine",
    "Page",
    "PlanChange",
    "PlanSubscription",
    "PortalResult",
    "Product",
    "ProductDetail",
    "ProjectTotals",
    "Revoked",
    "SignedIn",
    "Tier",
    "TierDeleted",
    "TrackResult",
    "Usage",
    "WebhookStatus",
    "WebhookStatusEvent",
    "__version__",
    "parse_retry_after",
]
