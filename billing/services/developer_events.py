"""Billing's announcements to the developer's webhooks (webhooks.services.developer_event_emit)."""

from __future__ import annotations

from typing import Any

from tenants.models import EndUser
from webhooks.events import SUBSCRIPTION_PAST_DUE, TRIAL_ENDING
from webhooks.services import developer_event_emit

from ..models import Subscription


def _announce(*, type: str, end_user: EndUser, subscription: Subscription, moment: int | None,
              **data: Any) -> None:
    """``type`` about ``subscription``, once per subscription and ``moment`` (epoch seconds: the
    period or the trial it is about)."""
    developer_event_emit(
        project_id=end_user.project_id, mode=end_user.mode, type=type,
        data={"userId": end_user.public_id, "externalId": end_user.external_id,
              "plan": subscription.tier.slug if subscription.tier else None,
              "subscriptionId": subscription.stripe_subscription_id, **data},
        dedupe_key=f"{type}:{subscription.stripe_subscription_id}:{'' if moment is None else moment}",
    )


def subscription_past_due_announce(*, end_user: EndUser, subscription: Subscription | None) -> None:
    """``subscription.past_due``, once per subscription and billing period, when the subscription
    that decides the end user's plan is past due (a renewal payment failed)."""
    if subscription is None or subscription.status != "past_due":
        return
    period_end = subscription.current_period_end
    moment = int(period_end.timestamp()) if period_end else None
    _announce(type=SUBSCRIPTION_PAST_DUE, end_user=end_user, subscription=subscription, moment=moment,
              status=subscription.status, currentPeriodEnd=moment)


def trial_ending_announce(*, subscription: Subscription) -> None:
    """``trial.ending``, once per subscription and trial, when Stripe says a trial ends in three days
    (``customer.subscription.trial_will_end``)."""
    if subscription.status != "trialing" or subscription.trial_end is None:
        return
    moment = int(subscription.trial_end.timestamp())
    _announce(type=TRIAL_ENDING, end_user=subscription.end_user, subscription=subscription, moment=moment,
              trialEnd=moment)
