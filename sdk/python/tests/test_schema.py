"""Every field of the live OpenAPI schema has a place in the SDK: response fields an attribute
of their model, request fields a keyword of the method that sends them. A field added to the
API without the SDK fails here, naming it."""

from __future__ import annotations

import inspect
from typing import Any

import httpx

from dreamapi import models
from dreamapi._client import Auth, Billing, Customers, Products, UsageResource
from dreamapi.models import snake

from .conftest import Live

RESPONSES: dict[str, type[models.Model]] = {
    "Customer": models.Customer,
    "Usage": models.Usage,
    "UsageSummary": models.Usage,
    "Tier": models.Tier,
    "Product": models.Product,
    "CheckoutUrl": models.CheckoutResult,
    "PortalUrl": models.PortalResult,
    "Deleted": models.DeleteResult,
    "SignedIn": models.SignedIn,
    "Revoked": models.Revoked,
    "Order": models.Order,
    "DashboardMetrics": models.DashboardMetrics,
    "DashboardTotals": models.DashboardTotals,
    "Tracked": models.TrackResult,
    "PlanChange": models.PlanChange,
    "PlanSubscription": models.PlanSubscription,
}
REQUESTS: dict[str, Any] = {
    "CustomerCreateRequest": Customers.create,
    "PatchedCustomerUpdateRequest": Customers.update,
    "CheckoutRequestRequest": Billing.create_checkout,
    "PortalRequestRequest": Billing.open_portal,
    "CodeExchangeRequest": Auth.exchange_code,
    "TokenRefreshRequest": Auth.refresh,
    "TokenRevokeRequest": Auth.revoke,
    "TrackRequest": UsageResource.track,
    "CartCheckoutRequest": Products.cart_checkout,
    "ChangePlanRequestRequest": Billing.change_plan,
}
# Envelopes and lists: their fields are the models above, returned by the methods themselves.
CONTAINERS = {"CustomerEnvelope", "CustomerPage", "Pagination", "TierList", "ProductList", "OrderPage", "Error",
              "IntervalEnum", "ChangedEnum"}
# Request names the SDK spells like the original client (customerEmail → "email" on the wire).
REQUEST_ALIASES = {"email": "customer_email", "name": "customer_name", "items": "items"}


def test_every_schema_field_has_a_place_in_the_sdk(live: Live):
    schemas = httpx.get(f"{live.base_url}/api/schema/?format=json", timeout=30).json()["components"]["schemas"]
    gaps = []
    for name, schema in schemas.items():
        properties = schema.get("properties", {})
        if name in RESPONSES:
            model = RESPONSES[name]
            gaps += [f"{name}.{field}" for field in properties if model.attribute_for(field) not in model.attributes()]
        elif name in REQUESTS:
            keywords = set(inspect.signature(REQUESTS[name]).parameters)
            gaps += [f"{name}.{field}" for field in properties
                     if snake(field) not in keywords and REQUEST_ALIASES.get(field) not in keywords]
        elif name not in CONTAINERS and not name.endswith("Enum"):
            gaps.append(f"{name} (a schema the SDK does not know)")
    assert not gaps, f"fields of the API without a place in the Python SDK: {gaps}"
