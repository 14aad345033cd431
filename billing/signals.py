"""Receivers for dj-stripe's webhook signals: after dj-stripe has synced a platform
subscription, the developer's Platform is refreshed by the service (no logic here)."""

from django.dispatch import receiver
from djstripe.signals import WEBHOOK_SIGNALS

from .services.platform_plan import platform_plan_refresh_for_customer

_SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)


def _on_subscription_event(sender, event, **kwargs) -> None:
    data = (event.data or {}).get("object") or {}
    customer = data.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    if customer:
        platform_plan_refresh_for_customer(customer_id=str(customer))


for _name in _SUBSCRIPTION_EVENTS:
    receiver(WEBHOOK_SIGNALS[_name], dispatch_uid=f"dreamapi-platform-plan-{_name}")(_on_subscription_event)
