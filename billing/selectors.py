from __future__ import annotations

from django.db.models import Count, Q

from tenants.models import Project

from .models import StripeConnection, StripeEvent, Subscription


def active_connection(*, project_id: int, mode: str) -> StripeConnection | None:
    """The project's connected Stripe account in this mode, if any."""
    return StripeConnection.objects.filter(project_id=project_id, mode=mode, disconnected_at__isnull=True).first()


def project_billing_summary(*, project: Project, mode: str) -> dict:
    connection = active_connection(project_id=project.id, mode=mode)
    events = StripeEvent.objects.filter(project=project, livemode=(mode == "live"))
    counts = events.aggregate(failed=Count("id", filter=Q(status=StripeEvent.Status.FAILED)),
                              total=Count("id"))
    subscriptions = Subscription.objects.filter(end_user__project=project, end_user__mode=mode,
                                                status__in=Subscription.ACTIVE_STATUSES).count()
    return {"connection": connection, "failed_events": counts["failed"], "events": counts["total"],
            "active_subscriptions": subscriptions}
