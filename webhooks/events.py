"""The events a developer's endpoint can subscribe to, and what each one carries in ``data``.

Every delivery is one JSON object::

    {"id": "evt_…", "object": "event", "type": "usage.threshold_reached", "created": 1795900000,
     "mode": "test", "projectId": "prj_…", "data": {…}}

``created`` is epoch seconds. docs/webhooks.md documents each type's ``data``.
"""

USAGE_THRESHOLD_REACHED = "usage.threshold_reached"
USAGE_LIMIT_REACHED = "usage.limit_reached"
CUSTOMER_CREATED = "customer.created"
CUSTOMER_DELETED = "customer.deleted"
PLAN_CHANGED = "plan.changed"
SUBSCRIPTION_PAST_DUE = "subscription.past_due"
TRIAL_ENDING = "trial.ending"
ORDER_COMPLETED = "order.completed"

EVENT_TYPES: dict[str, str] = {
    USAGE_THRESHOLD_REACHED: "An end user's usage of a metered feature reached one of the endpoint's thresholds "
                             "(a percentage of the limit), once per period, feature and threshold.",
    USAGE_LIMIT_REACHED: "An end user's usage of a metered feature reached its limit (once per period and feature).",
    CUSTOMER_CREATED: "An end user was created (API, hosted sign-up, or first use of an external id).",
    CUSTOMER_DELETED: "An end user was deleted.",
    PLAN_CHANGED: "An end user's plan changed (subscription, API, dashboard); carries the new entitlements.",
    SUBSCRIPTION_PAST_DUE: "An end user's subscription became past due (a payment failed).",
    TRIAL_ENDING: "An end user's trial ends in three days.",
    ORDER_COMPLETED: "A store order was paid.",
}

DEFAULT_THRESHOLDS = [80, 100]
