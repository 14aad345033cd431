from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from datetime import timezone as dt_timezone

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404

from .models import ApiKey, AuditEvent, EndUser, Platform, Project


def project_for_owner(*, user: AbstractBaseUser, project_id: str) -> Project:
    """The developer's own project, or 404: the only way dashboard views fetch a project."""
    project = Project.objects.select_related("platform").filter(public_id=project_id, platform__owner=user).first()
    if project is None:
        raise Http404("No such project.")
    return project


def active_api_keys(*, project: Project, mode: str) -> dict[str, ApiKey]:
    """The project's working keys in one mode, by kind (``pk``/``sk``); a revoked kind is absent."""
    return {key.kind: key for key in ApiKey.objects.filter(project=project, mode=mode, revoked_at__isnull=True)}


def end_users_for_project(*, project: Project, mode: str) -> QuerySet[EndUser]:
    return EndUser.objects.filter(project=project, mode=mode).select_related("tier")


def end_users_search(end_users: QuerySet[EndUser], term: str) -> QuerySet[EndUser]:
    """Match an e-mail, a first or last name (parts of them), an ``usr_`` id or the app's
    external id (whole)."""
    term = term.strip()
    if not term:
        return end_users
    match = Q(email__icontains=term) | Q(first_name__icontains=term) | Q(last_name__icontains=term)
    match |= Q(public_id=term) | Q(external_id=term)
    return end_users.filter(match)


def end_user_counts(*, project_ids: Iterable[int], mode: str, since: datetime) -> dict[int, tuple[int, int]]:
    """``{project_id: (end users, of whom joined since `since`)}``; projects without any are absent."""
    rows = (EndUser.objects.filter(project_id__in=list(project_ids), mode=mode).values("project_id")
            .annotate(total=Count("id"), new=Count("id", filter=Q(created_at__gte=since))))
    return {row["project_id"]: (row["total"], row["new"]) for row in rows}


def end_user_signups_daily(*, project: Project, mode: str, since: datetime) -> dict[date, int]:
    """New end users per UTC day since ``since``."""
    rows = (EndUser.objects.filter(project=project, mode=mode, created_at__gte=since)
            .annotate(day=TruncDate("created_at", tzinfo=dt_timezone.utc)).values("day").annotate(n=Count("id")))
    return {row["day"]: row["n"] for row in rows}


def end_user_for_project(*, project: Project, mode: str, public_id: str) -> EndUser | None:
    return end_users_for_project(project=project, mode=mode).filter(public_id=public_id).first()


def audit_events_for_project(*, project: Project) -> QuerySet[AuditEvent]:
    """The project's audit log, newest first, with the actors' keys for display."""
    return AuditEvent.objects.filter(project=project).select_related("actor_api_key")


def platform_counts() -> dict[str, int]:
    """For operators: developers, paying developers, end users per mode."""
    platforms = Platform.objects.aggregate(developers=Count("id"), paying=Count("id", filter=Q(paid_plan_active=True)))
    end_users = dict(EndUser.objects.values_list("mode").annotate(n=Count("id")).values_list("mode", "n"))
    return {"developers": platforms["developers"], "paying_developers": platforms["paying"],
            "end_users_live": end_users.get("live", 0), "end_users_test": end_users.get("test", 0)}
