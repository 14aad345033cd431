from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from tenants.models import Mode, Project

from .models import StripeConnection, StripeEvent, Subscription, Tier


def active_connection(*, project_id: int, mode: str) -> StripeConnection | None:
    """The project's connected Stripe account in this mode, if any."""
    return StripeConnection.objects.filter(project_id=project_id, mode=mode, disconnected_at__isnull=True).first()


def project_billing_summary(*, project: Project, mode: str) -> dict:
    """What the project page shows about Stripe in this mode.

    ``onboarding_incomplete``: the connected account can't take payments yet (its owner skipped
    Stripe's onboarding), so checkouts will fail. ``revoked_connection``: with nothing connected,
    the last connection if it ended because the account's owner revoked our access in Stripe.
    """
    connection = active_connection(project_id=project.id, mode=mode)
    revoked = None
    if connection is None:
        last = StripeConnection.objects.filter(project=project, mode=mode).order_by("-connected_at").first()
        revoked = last if last is not None and last.deauthorized_at is not None else None
    events = StripeEvent.objects.filter(project=project, livemode=(mode == "live"))
    counts = events.aggregate(failed=Count("id", filter=Q(status=StripeEvent.Status.FAILED)),
                              total=Count("id"))
    subscriptions = Subscription.objects.filter(end_user__project=project, end_user__mode=mode,
                                                status__in=Subscription.ACTIVE_STATUSES).count()
    return {"connection": connection, "failed_events": counts["failed"], "events": counts["total"],
            "active_subscriptions": subscriptions,
            "onboarding_incomplete": connection is not None and connection.onboarding_incomplete,
            "revoked_connection": revoked}


def tiers_for_project(*, project: Project, mode: str) -> QuerySet[Tier]:
    return Tier.objects.filter(project=project, mode=mode)


def tier_for_project(*, project: Project, mode: str, slug: str) -> Tier | None:
    return Tier.objects.filter(project=project, mode=mode, slug=slug).first()


def stripe_events_for_project(*, project: Project, mode: str, status: str = "") -> QuerySet[StripeEvent]:
    """The project's Stripe events in one mode, newest first; ``status`` filters when it is a known one."""
    events = StripeEvent.objects.filter(project=project, livemode=(mode == Mode.LIVE))
    if status in StripeEvent.Status.values:
        events = events.filter(status=status)
    return events


def stripe_event_for_project(*, project: Project, event_id: int) -> StripeEvent | None:
    return StripeEvent.objects.filter(project=project, pk=event_id).first()
