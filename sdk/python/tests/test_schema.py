"""Every field of the live OpenAPI schema has a place in the SDK: response fields an attribute
of their model, request fields a keyword of the method that sends them. A field added to the
API without the SDK fails here, naming it."""

from __future__ import annotations

import inspect
from typing import Any

import httpx

from dreamapi import DreamAPIError, models
from dreamapi._client import Auth, Billing, Customers, Orders, Products, UsageResource
from dreamapi.models import snake

from .conftest import Live

RESPONSES: dict[str, type[models.Model]] = {
    "Customer": models.Customer,
    "Usage": models.Usage,
    "UsageReport": models.Usage,
    "UsageTracked": models.TrackResult,
    "Meter": models.Meter,
    "FeatureCheck": models.FeatureCheck,
    "Tier": models.Tier,
    "DashboardTier": models.Tier,
    "ManagedTier": models.ManagedTier,
    "TierDeleted": models.TierDeleted,
    "Product": models.Product,
    "ProductDetail": models.ProductDetail,
    "CheckoutSession": models.CheckoutResult,
    "CartCheckoutResult": models.CheckoutResult,
    "PortalSession": models.PortalResult,
    "CustomerDeleted": models.DeleteResult,
    "DeletedCustomer": models.DeletedCustomer,
    "SignedIn": models.SignedIn,
    "Revoked": models.Revoked,
    "Order": models.Order,
    "OrderLine": models.OrderLine,
    "DashboardMetrics": models.DashboardMetrics,
    "DashboardCustomer": models.DashboardCustomer,
    "WebhookStatus": models.WebhookStatus,
    "WebhookEvent": models.WebhookStatusEvent,
    "DashboardTotals": models.DashboardTotals,
    "ProjectTotals": models.ProjectTotals,
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
    "ProductWriteRequest": Products.create,
    "PatchedProductUpdateRequest": Products.update,
    "ProductImageRequest": Products.upload_image,
    "TierWriteRequest": Products.create_tier,
    "PatchedTierUpdateRequest": Products.update_tier,
    "ChangePlanRequestRequest": Billing.change_plan,
}
# Request parts the SDK takes as a TypedDict in the API's own keys.
TYPED_DICTS: dict[str, Any] = {"CartItemRequest": models.CartItem}
# Error bodies: their fields are attributes of DreamAPIError, or (the tier-limit 403's copies of
# the usage: plan, usageCount, limit) of the Usage it carries (``error.usage``).
ERRORS = {"Error", "TierLimitError"}
# Envelopes and lists: their fields are the models above, returned by the methods themselves.
CONTAINERS = {"CustomerEnvelope", "CustomerPage", "Pagination", "TierList", "ProductList", "ProductEnvelope",
              "TierEnvelope", "OrderPage", "OrderPagination"}
# Request names the SDK spells like the original client (customerEmail → "email" on the wire),
# and TierWriteRequest's "id", another way to send "name" (the SDK sends name).
REQUEST_ALIASES = {"email": "customer_email", "name": "customer_name", "items": "items", "id": "name"}
# The methods of the operations with query parameters or an Idempotency-Key header: each of those
# is a keyword of the method (snake_case; the header is ``idempotency_key``).
CALLS: dict[str, Any] = {
    "GET /api/orders": Orders.list,
    "GET /api/customers": Customers.list,
    "GET /api/usage": UsageResource.check,
    "GET /api/check": UsageResource.check_feature,
    "POST /api/data": UsageResource.track,
    "POST /api/cart/checkout": Products.cart_checkout,
    "DELETE /api/tiers/{tier_id}": Products.delete_tier,
}


def _error_attributes() -> set[str]:
    error = DreamAPIError("x", status=400, code="x")
    return {name for name in dir(error) if not name.startswith("_")}


def test_every_schema_field_has_a_place_in_the_sdk(live: Live):
    schema = httpx.get(f"{live.base_url}/api/schema/?format=json", timeout=30).json()
    gaps = []
    for name, component in schema["components"]["schemas"].items():
        properties = component.get("properties", {})
        if name in RESPONSES:
            model = RESPONSES[name]
            gaps += [f"{name}.{field}" for field in properties if model.attribute_for(field) not in model.attributes()]
        elif name in REQUESTS:
            keywords = set(inspect.signature(REQUESTS[name]).parameters)
            gaps += [f"{name}.{field}" for field in properties
                     if snake(field) not in keywords and REQUEST_ALIASES.get(field) not in keywords]
        elif name in TYPED_DICTS:
            gaps += [f"{name}.{field}" for field in properties if field not in TYPED_DICTS[name].__annotations__]
        elif name in ERRORS:
            known = _error_attributes() | models.Usage.attributes()
            gaps += [f"{name}.{field}" for field in properties if snake(field) not in known]
        elif name not in CONTAINERS and not name.endswith("Enum"):
            gaps.append(f"{name} (a schema the SDK does not know)")
    for path, operations in schema["paths"].items():
        for verb, operation in operations.items():
            wanted = [(f"?{p['name']}", snake(p["name"])) for p in operation.get("parameters", []) if p["in"] == "query"]
            wanted += [("Idempotency-Key", "idempotency_key") for p in operation.get("parameters", [])
                       if p["in"] == "header" and p["name"] == "Idempotency-Key"]
            call = f"{verb.upper()} {path}"
            if wanted and call not in CALLS:
                gaps.append(f"{call} (parameters {[name for name, _ in wanted]} of a call the map does not know)")
            elif wanted:
                keywords = set(inspect.signature(CALLS[call]).parameters)
                gaps += [f"{call} {name}" for name, keyword in wanted if keyword not in keywords]
    assert not gaps, f"fields of the API without a place in the Python SDK: {gaps}"
