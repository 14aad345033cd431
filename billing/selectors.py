from __future__ import annotations

from django.db.models import Count, Q

from tenants.models import Project

from .models import StripeConnection, StripeEvent, Subscription


def project_billing_summary(*, project: Project, mode: str) -> dict:
    connection = StripeConnection.objects.filter(project=project, mode=mode, disconnected_at__isnull=True).first()
    events = StripeEvent.objects.filter(project=project, livemode=(mode == "live"))
    counts = events.aggregate(failed=Count("id", filter=Q(status=StripeEvent.Status.FAILED)),
                              total=Count("id"))
    subscriptions = Subscription.objects.filter(end_user__project=project, end_user__mode=mode,
                                                status__in=Subscription.ACTIVE_STATUSES).count()
    return {"connection": connection, "failed_events": counts["failed"], "events": counts["total"],
            "active_subscriptions": subscriptions}
