"""Subscription schedules (``/v1/subscription_schedules``) and invoice items (``/v1/invoiceitems``).

A schedule is made from an existing subscription (``from_subscription``): one phase, the
subscription as it is until its period ends. Updating it sets its phases (the current one first,
with its start date unchanged; each next phase starts where the one before ends and lasts until its
``end_date``, for its ``duration``, or one interval of its first price). When the clock passes a
phase's end the subscription takes the next phase's prices (:func:`billing.schedule_advance`); after
the last phase the schedule releases the subscription or cancels it (``end_behavior``). Releasing
leaves the subscription as it is; canceling the schedule cancels the subscription now.
"""

from __future__ import annotations

import copy
from typing import Any

from . import billing, forms, objects
from .api import Ctx, _list, route
from .errors import StripeError, invalid, parameter_missing
from .forms import anything, array, boolean, hash_of, integer, metadata, nullable, string, unsupported

INTERVALS = ("day", "week", "month", "year")


def timestamp_or_now() -> forms.Validator:
    def check(value: Any, param: str) -> int | str:
        if value == "now":
            return "now"
        return integer(minimum=0)(value, param)

    return check


PHASE = hash_of({
    "items": array(hash_of({
        "price": string(blank=False),
        "quantity": integer(minimum=1),
        "metadata": metadata(),
        "tax_rates": anything(),
        "price_data": unsupported("Create a Price first."),
        "discounts": unsupported("Coupons are not simulated."),
        "billing_thresholds": unsupported(""),
    }), max_items=20),
    "start_date": timestamp_or_now(),
    "end_date": timestamp_or_now(),
    "duration": hash_of({"interval": string(choices=INTERVALS), "interval_count": integer(minimum=1)}),
    "proration_behavior": string(choices=billing.PRORATION_BEHAVIORS),
    "metadata": metadata(),
    "currency": string(max_length=3),
    "description": nullable(string(max_length=500)),
    "default_payment_method": string(),
    "trial": unsupported("Trials in schedule phases are not simulated."),
    "trial_end": unsupported("Trials in schedule phases are not simulated."),
    "add_invoice_items": unsupported("One-off items on schedule phases are not simulated."),
    "discounts": unsupported("Coupons are not simulated."),
    "billing_cycle_anchor": string(choices=("automatic",)),
    "collection_method": string(choices=("charge_automatically",)),
})
END_BEHAVIORS = ("release", "cancel")


def _application(ctx: Ctx) -> str | None:
    if ctx.account is None:
        return None
    state = ctx.store.accounts.get(ctx.account)
    return state.client_id if state else None


def _schedule(ctx: Ctx, schedule_id: str) -> dict[str, Any]:
    return ctx.get(schedule_id, "subscription_schedule", label="subscription_schedule")


def _subscription(ctx: Ctx, schedule: dict[str, Any]) -> dict[str, Any] | None:
    sub_id = schedule["subscription"]
    return ctx.get(sub_id, "subscription") if sub_id else None


@route("POST", "/v1/subscription_schedules")
def create_schedule(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({
        "from_subscription": string(blank=False),
        "customer": string(),
        "phases": array(PHASE, max_items=10),
        "start_date": timestamp_or_now(),
        "end_behavior": string(choices=END_BEHAVIORS),
        "metadata": metadata(),
        "default_settings": anything(),
        "billing_mode": anything(),
    })
    if "from_subscription" not in params:
        raise StripeError(400, "The Stripe stand-in creates subscription schedules from an existing subscription "
                               "only: pass from_subscription.", param="from_subscription")
    for name in ("phases", "customer", "start_date", "end_behavior", "default_settings", "billing_mode"):
        if name in params:
            raise invalid(name, f"You cannot set `{name}` if `from_subscription` is set.")
    sub = ctx.get(params["from_subscription"], "subscription", param="from_subscription")
    if sub.get("schedule"):
        raise invalid("from_subscription", "You cannot migrate a subscription that is already attached to a "
                                           f"schedule: `{sub['schedule']}`.")
    if sub["status"] in ("canceled", "incomplete", "incomplete_expired"):
        raise invalid("from_subscription", f"You cannot create a subscription schedule from a subscription with "
                                           f"status `{sub['status']}`.")
    if sub["cancel_at_period_end"]:
        raise invalid("from_subscription", "The stand-in cannot migrate a subscription that cancels at period end; "
                                           "set cancel_at_period_end=false first.")
    return billing.schedule_from_subscription(ctx.scope, sub, application=_application(ctx),
                                              metadata=forms.merge_metadata({}, params.get("metadata") or {}))


@route("GET", "/v1/subscription_schedules")
def list_schedules(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"customer": string(), "scheduled": boolean(), "completed": boolean(),
                        "released": boolean(), "canceled_at": anything(), "created": anything()}, listing=True)
    found = ctx.find("subscription_schedule", lambda s: "customer" not in params or s["customer"] == params["customer"])
    return _list(ctx, found, params, "/v1/subscription_schedules")


@route("GET", "/v1/subscription_schedules/{schedule_id}")
def retrieve_schedule(ctx: Ctx, schedule_id: str) -> dict[str, Any]:
    ctx.clean({})
    return _schedule(ctx, schedule_id)


def _phase_end(ctx: Ctx, phase: dict[str, Any], start: int, index: int, first_price: dict[str, Any]) -> int:
    param = f"phases[{index}]"
    if "end_date" in phase and "duration" in phase:
        raise invalid(f"{param}[end_date]", "You may only specify one of these parameters: end_date, duration.")
    if "end_date" in phase:
        end = ctx.store.now() if phase["end_date"] == "now" else phase["end_date"]
    elif "duration" in phase:
        duration = phase["duration"]
        if "interval" not in duration:
            raise parameter_missing(f"{param}[duration][interval]")
        end = objects.add_interval(start, duration["interval"], duration.get("interval_count", 1))
    else:
        recurring = first_price["recurring"]
        end = objects.add_interval(start, recurring["interval"], recurring["interval_count"])
    if end <= start:
        raise invalid(f"{param}[end_date]", "The end date of a phase must be after its start date.")
    return end


def _phase_items(ctx: Ctx, sub: dict[str, Any], phase: dict[str, Any], index: int) -> list[dict[str, Any]]:
    items = phase.get("items") or []
    if not items:
        raise parameter_missing(f"phases[{index}][items]")
    result = []
    for position, item in enumerate(items):
        param = f"phases[{index}][items][{position}][price]"
        if "price" not in item:
            raise parameter_missing(param)
        price = ctx.get(item["price"], "price", param=param)
        if not price["active"]:
            raise invalid(param, "The price specified is inactive. This field only accepts active prices.")
        if price["type"] != "recurring":
            raise invalid(param, "The price specified is set to `type=one_time` but this field only accepts prices "
                                 "with `type=recurring`.")
        if price["currency"] != sub["currency"]:
            raise invalid(param, f"The price's currency must match the subscription's currency ({sub['currency']}).")
        result.append({"price": price, "quantity": item.get("quantity", 1)})
    return result


def _phases(ctx: Ctx, schedule: dict[str, Any], sub: dict[str, Any], phases: list[dict[str, Any]],
            proration_behavior: str) -> list[dict[str, Any]]:
    """Validate the new phases against the current one; returns them as the schedule stores them."""
    if not phases:
        raise parameter_missing("phases")
    current = schedule["current_phase"]
    result: list[dict[str, Any]] = []
    previous_end = None
    for index, phase in enumerate(phases):
        param = f"phases[{index}]"
        items = _phase_items(ctx, sub, phase, index)
        start = phase.get("start_date", current["start_date"] if index == 0 else previous_end)
        if start == "now":
            start = ctx.store.now()
        if index == 0 and start != current["start_date"]:
            raise invalid(f"{param}[start_date]", "You can not modify the start date of the current phase.")
        if index > 0 and start != previous_end:
            raise invalid(f"{param}[start_date]", "Each phase must start when the phase before it ends.")
        assert isinstance(start, int)
        end = _phase_end(ctx, phase, start, index, items[0]["price"])
        if index == 0 and end <= ctx.store.now():
            raise invalid(f"{param}[end_date]", "The current phase cannot end in the past.")
        result.append(objects.schedule_phase(
            items=[{"price": i["price"]["id"], "quantity": i["quantity"]} for i in items], currency=sub["currency"],
            start=start, end=end, proration_behavior=phase.get("proration_behavior", proration_behavior),
            metadata=phase.get("metadata")))
        previous_end = end
    return result


@route("POST", "/v1/subscription_schedules/{schedule_id}")
def update_schedule(ctx: Ctx, schedule_id: str) -> dict[str, Any]:
    params = ctx.clean({
        "phases": array(PHASE, max_items=10),
        "end_behavior": string(choices=END_BEHAVIORS),
        "metadata": metadata(),
        "proration_behavior": string(choices=billing.PRORATION_BEHAVIORS),
        "default_settings": unsupported("Schedule default settings are not simulated."),
    })
    schedule = _schedule(ctx, schedule_id)
    if schedule["status"] not in ("active", "not_started"):
        raise StripeError(400, f"You cannot update a subscription schedule that is currently in the "
                               f"`{schedule['status']}` status.")
    sub = _subscription(ctx, schedule)
    assert sub is not None
    proration_behavior = params.get("proration_behavior", "create_prorations")
    phases = _phases(ctx, schedule, sub, params["phases"], proration_behavior) if "phases" in params else None
    before = copy.deepcopy(schedule)
    if phases is not None:
        schedule["phases"] = phases
        schedule["current_phase"] = {"end_date": phases[0]["end_date"], "start_date": phases[0]["start_date"]}
    if "end_behavior" in params:
        schedule["end_behavior"] = params["end_behavior"]
    if "metadata" in params:
        schedule["metadata"] = forms.merge_metadata(schedule["metadata"], params["metadata"])
    changed = billing.previous_attributes(before, schedule)
    if changed:
        ctx.emit("subscription_schedule.updated", schedule, changed)
    if phases is not None:  # the current phase may change the subscription now
        before_sub = copy.deepcopy(sub)
        wanted = [{"price": ctx.get(i["price"], "price"), "quantity": i["quantity"]} for i in phases[0]["items"]]
        if billing.set_items(ctx.scope, sub, wanted):
            billing.apply_item_change(ctx.scope, sub, before_sub, proration_behavior=proration_behavior)
    return schedule


@route("POST", "/v1/subscription_schedules/{schedule_id}/release")
def release_schedule(ctx: Ctx, schedule_id: str) -> dict[str, Any]:
    ctx.clean({"preserve_cancel_date": boolean()})
    schedule = _schedule(ctx, schedule_id)
    if schedule["status"] not in ("active", "not_started"):
        raise StripeError(400, f"You cannot release a subscription schedule that is currently in the "
                               f"`{schedule['status']}` status. It must be in one of the following statuses: "
                               "`not_started`, `active`.")
    billing.release_schedule(ctx.scope, schedule, _subscription(ctx, schedule))
    return schedule


@route("POST", "/v1/subscription_schedules/{schedule_id}/cancel")
def cancel_schedule(ctx: Ctx, schedule_id: str) -> dict[str, Any]:
    ctx.clean({"invoice_now": boolean(), "prorate": boolean()})
    schedule = _schedule(ctx, schedule_id)
    if schedule["status"] not in ("active", "not_started"):
        raise StripeError(400, f"You cannot cancel a subscription schedule that is currently in the "
                               f"`{schedule['status']}` status. It must be in one of the following statuses: "
                               "`not_started`, `active`.")
    sub = _subscription(ctx, schedule)
    if sub is not None and sub["status"] not in ("canceled", "incomplete_expired"):
        billing.cancel_now(ctx.scope, sub)  # ends the schedule too
    else:
        schedule.update(status="canceled", canceled_at=ctx.store.now(), current_phase=None)
        ctx.emit("subscription_schedule.canceled", schedule)
    return schedule


# -- invoice items ----------------------------------------------------------------------------------------


@route("GET", "/v1/invoiceitems")
def list_invoice_items(ctx: Ctx) -> dict[str, Any]:
    params = ctx.clean({"customer": string(), "invoice": string(), "pending": boolean(), "created": anything()},
                       listing=True)

    def keep(ii: dict[str, Any]) -> bool:
        return all((
            "customer" not in params or ii["customer"] == params["customer"],
            "invoice" not in params or ii["invoice"] == params["invoice"],
            "pending" not in params or (ii["invoice"] is None) == params["pending"],
        ))

    return _list(ctx, ctx.find("invoiceitem", keep), params, "/v1/invoiceitems")


@route("GET", "/v1/invoiceitems/{item_id}")
def retrieve_invoice_item(ctx: Ctx, item_id: str) -> dict[str, Any]:
    ctx.clean({})
    return ctx.get(item_id, "invoiceitem")

