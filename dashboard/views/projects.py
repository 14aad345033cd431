"""The projects list, a project's page, its settings and deletion."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from billing.selectors import project_billing_summary, tiers_for_project
from dreamapi.errors import ApiError
from tenants import services as tenant_services
from tenants.models import Mode, Project
from tenants.selectors import active_api_keys, end_users_for_project
from usage.selectors import usage_by_end_user

from ..decorators import project_page
from ..forms import ProjectCreateForm, ProjectSettingsForm

END_USERS_PER_PAGE = 25


@login_required
def home(request: HttpRequest) -> HttpResponse:
    platform = tenant_services.platform_get_or_create(user=request.user)
    form = ProjectCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project, keys = tenant_services.project_create(
                platform=platform, name=form.cleaned_data["name"], kind=form.cleaned_data["kind"]
            )
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            # Rendered directly, never redirected: the raw secret keys must not pass through
            # the session (which is stored in the database).
            return render(request, "dashboard/keys_once.html",
                          {"project": project, "keys": keys, "site_url": settings.SITE_URL})
    projects = platform.projects.all()
    return render(request, "dashboard/home.html", {"platform": platform, "projects": projects, "form": form})


@project_page
def project_detail(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    end_users = end_users_for_project(project=project, mode=mode)
    if search:
        end_users = end_users.filter(email__icontains=search)
    page = Paginator(end_users, END_USERS_PER_PAGE).get_page(request.GET.get("page"))
    counts = usage_by_end_user(end_users=list(page.object_list))
    context = {
        "billing": project_billing_summary(project=project, mode=mode),
        "project": project,
        "mode": mode,
        "modes": Mode.values,
        "keys": active_api_keys(project=project, mode=mode),
        "tiers": tiers_for_project(project=project, mode=mode),
        "page": page,
        "rows": [(eu, counts.get(eu.id, 0)) for eu in page.object_list],
        "search": search,
        "query": urlencode({"mode": mode, "q": search}),
        "platform_paid": project.platform.paid_plan_active,
    }
    return render(request, "dashboard/project.html", context)


@project_page
def project_settings(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    initial = {
        "name": project.name,
        "rate_limit_per_minute": project.rate_limit_per_minute,
        "key_rate_limit_per_minute": project.key_rate_limit_per_minute,
        "allowed_origins": "\n".join(project.allowed_origins),
    }
    form = ProjectSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        tenant_services.project_update(project=project, **form.cleaned_data)
        messages.success(request, "Settings saved.")
        return redirect("dashboard:project", project_id=project.public_id)
    return render(request, "dashboard/project_settings.html", {"project": project, "mode": mode, "form": form})


@project_page
def project_delete(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("confirm_name", "").strip() != project.name:
            messages.error(request, "Type the project's name exactly to delete it.")
        else:
            tenant_services.project_delete(project=project)
            messages.success(request, f"Project {project.name} deleted.")
            return redirect("dashboard:home")
    return render(request, "dashboard/project_delete.html", {"project": project, "mode": mode})
