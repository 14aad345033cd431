"""Billing's announcements to the developer's webhooks (webhooks.services.developer_event_emit)."""

from __future__ import annotations

from tenants.models import EndUser
from webhooks.events import SUBSCRIPTION_PAST_DUE, TRIAL_ENDING
from webhooks.services import developer_event_emit

from ..models import Subscription


def subscription_past_due_announce(*, end_user: EndUser, subscription: Subscription | None) -> None:
    """``subscription.past_due``, once per subscription and billing period, when the subscription
    that decides the end user's plan is past due (a renewal payment failed)."""
    if subscription is None or subscription.status != "past_due":
        return
    period_end = subscription.current_period_end
    developer_event_emit(
        project_id=end_user.project_id, mode=end_user.mode, type=SUBSCRIPTION_PAST_DUE,
        data={"userId": end_user.public_id, "externalId": end_user.external_id,
              "plan": subscription.tier.slug if subscription.tier else None,
              "subscriptionId": subscription.stripe_subscription_id, "status": subscription.status,
              "currentPeriodEnd": int(period_end.timestamp()) if period_end else None},
        dedupe_key=f"{SUBSCRIPTION_PAST_DUE}:{subscription.stripe_subscription_id}:"
                   f"{int(period_end.timestamp()) if period_end else ''}",
    )


def trial_ending_announce(*, subscription: Subscription) -> None:
    """``trial.ending``, once per subscription and trial, when Stripe says a trial ends in three days
    (``customer.subscription.trial_will_end``)."""
    end_user, trial_end = subscription.end_user, subscription.trial_end
    if subscription.status != "trialing" or trial_end is None:
        return
    developer_event_emit(
        project_id=end_user.project_id, mode=end_user.mode, type=TRIAL_ENDING,
        data={"userId": end_user.public_id, "externalId": end_user.external_id,
              "plan": subscription.tier.slug if subscription.tier else None,
              "subscriptionId": subscription.stripe_subscription_id, "trialEnd": int(trial_end.timestamp())},
        dedupe_key=f"{TRIAL_ENDING}:{subscription.stripe_subscription_id}:{int(trial_end.timestamp())}",
    )
