"""The projects list, a project's page, its settings and deletion."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from billing.selectors import project_billing_summary, tiers_for_project
from dreamapi.errors import ApiError
from tenants import services as tenant_services
from tenants.audit import Actor
from tenants.models import Mode, Project
from tenants.selectors import active_api_keys, audit_events_for_project
from usage.services import usage_history_fold

from ..decorators import project_page
from ..forms import ProjectCreateForm, ProjectSettingsForm
from ..selectors import (
    CHART_DAYS,
    end_users_filtered,
    platform_totals,
    project_charts,
    project_overview,
)

RECENT_END_USERS = 5
RECENT_CHANGES = 5


@login_required
def home(request: HttpRequest) -> HttpResponse:
    platform = tenant_services.platform_get_or_create(user=request.user)
    form = ProjectCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project, keys = tenant_services.project_create(
                platform=platform, name=form.cleaned_data["name"], kind=form.cleaned_data["kind"],
                actor=Actor.developer(request.user),
            )
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            # Rendered directly, never redirected: the raw secret keys must not pass through
            # the session (which is stored in the database).
            return render(request, "dashboard/keys_once.html",
                          {"project": project, "keys": keys, "site_url": settings.SITE_URL})
    # The totals show live mode unless test is asked for: live is where the money is.
    mode = request.GET.get("mode") if request.GET.get("mode") in Mode.values else Mode.LIVE
    return render(request, "dashboard/home.html", {
        "platform": platform, "form": form, "mode": mode, "totals": platform_totals(platform=platform, mode=mode),
    }, status=400 if form.errors else 200)


@project_page
def project_detail(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    """The project's overview in one mode: its numbers, daily charts, keys, Stripe and tiers."""
    now = timezone.now()
    usage_history_fold(project_id=project.id, now=now)  # today's bars up to this moment
    overview = project_overview(project=project, mode=mode, now=now)
    days = CHART_DAYS[-1] if request.GET.get("days") == str(CHART_DAYS[-1]) else CHART_DAYS[0]
    context = {
        "project": project,
        "mode": mode,
        "overview": overview,
        "days": days,
        "chart_days": CHART_DAYS,
        "charts": project_charts(project=project, mode=mode, days=days, currency=overview.currency, now=now),
        "billing": project_billing_summary(project=project, mode=mode),
        "keys": active_api_keys(project=project, mode=mode),
        "tiers": tiers_for_project(project=project, mode=mode),
        "recent_end_users": end_users_filtered(project=project, mode=mode, now=now)[:RECENT_END_USERS],
        "recent_changes": audit_events_for_project(project=project)[:RECENT_CHANGES],
        "platform_paid": project.platform.paid_plan_active,
        "site_url": settings.SITE_URL,
        "now": now,
    }
    return render(request, "dashboard/project.html", context)


@project_page
def project_settings(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    initial = {
        "name": project.name,
        "rate_limit_per_minute": project.rate_limit_per_minute,
        "key_rate_limit_per_minute": project.key_rate_limit_per_minute,
        "allowed_origins": "\n".join(project.allowed_origins),
        "auto_create_end_users": project.auto_create_end_users,
    }
    form = ProjectSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        tenant_services.project_update(project=project, actor=Actor.developer(request.user), **form.cleaned_data)
        messages.success(request, f"Settings of {project.name} saved.")
        return redirect("dashboard:project", project_id=project.public_id)
    return render(request, "dashboard/project_settings.html", {"project": project, "mode": mode, "form": form})


@project_page
def project_delete(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("confirm_name", "").strip() != project.name:
            messages.error(request, "Type the project's name exactly to delete it.")
        else:
            tenant_services.project_delete(project=project, actor=Actor.developer(request.user))
            messages.success(request, f"Project {project.name} deleted.")
            return redirect("dashboard:home")
    return render(request, "dashboard/project_delete.html", {"project": project, "mode": mode})
