"""dream-api's official Python client (sync and async, on httpx).

    from dreamapi import DreamAPI

    api = DreamAPI(secret_key="sk_test_…", base_url="http://localhost:8000")
    customer = api.customers.create("sharon@example.com")
    result = api.usage.track(user_id=customer.id)
"""

from ._client import AsyncDreamAPI, DreamAPI
from ._http import parse_retry_after
from .errors import DreamAPIError
from .models import (
    CheckoutResult,
    Customer,
    DashboardMetrics,
    DashboardTotals,
    DeleteResult,
    Order,
    Page,
    PlanChange,
    PlanSubscription,
    PortalResult,
    Product,
    Revoked,
    SignedIn,
    Tier,
    TrackResult,
    Usage,
)

__version__ = "1.0.0"

__all__ = [
    "AsyncDreamAPI",
    "CheckoutResult",
    "Customer",
    "DashboardMetrics",
    "DashboardTotals",
    "DeleteResult",
    "DreamAPI",
    "DreamAPIError",
    "Order",
    "Page",
    "PlanChange",
    "PlanSubscription",
    "PortalResult",
    "Product",
    "Revoked",
    "SignedIn",
    "Tier",
    "TrackResult",
    "Usage",
    "__version__",
    "parse_retry_after",
]
