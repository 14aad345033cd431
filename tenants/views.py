"""The developer dashboard (server-rendered). Every project is fetched through
``tenants.selectors.project_for_owner``, which 404s for anybody else's project."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing import services as billing_services
from billing.models import Tier
from dreamapi.errors import ApiError
from usage.selectors import usage_by_end_user

from . import services
from .forms import ProjectCreateForm, ProjectSettingsForm, TierDeleteForm, TierForm
from .models import ApiKey, Mode, Platform, Project
from .selectors import project_for_owner

END_USERS_PER_PAGE = 25


def _platform(request: HttpRequest) -> Platform:
    return services.platform_get_or_create(user=request.user)


def request_mode(request: HttpRequest) -> str:
    """The mode a dashboard page shows (``?mode=`` or a form field); test unless live is asked for."""
    mode = request.POST.get("mode") or request.GET.get("mode") or Mode.TEST
    return mode if mode in Mode.values else Mode.TEST


def project_url(project: Project, mode: str) -> str:
    return f"{reverse('dashboard:project', args=[project.public_id])}?mode={mode}"


def _key_kind(request: HttpRequest) -> str:
    kind = request.POST.get("kind", ApiKey.Kind.SECRET)
    if kind not in ApiKey.Kind.values:
        raise Http404("No such key kind.")
    return kind


def _get_tier(project: Project, mode: str, slug: str) -> Tier:
    tier = Tier.objects.filter(project=project, mode=mode, slug=slug).first()
    if tier is None:
        raise Http404("No such tier.")
    return tier


@login_required
def home(request: HttpRequest) -> HttpResponse:
    platform = _platform(request)
    form = ProjectCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project, keys = services.project_create(
                platform=platform, name=form.cleaned_data["name"], kind=form.cleaned_data["kind"]
            )
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            # Rendered directly, never redirected: the raw secret keys must not pass through
            # the session (which is stored in the database).
            return render(request, "dashboard/keys_once.html", {"project": project, "keys": keys})
    projects = platform.projects.all()
    return render(request, "dashboard/home.html", {"platform": platform, "projects": projects, "form": form})


@login_required
def project_detail(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_for_owner(user=request.user, project_id=project_id)
    mode = request_mode(request)
    search = request.GET.get("q", "").strip()
    end_users = project.end_users.filter(mode=mode).select_related("tier")
    if search:
        end_users = end_users.filter(email__icontains=search)
    page = Paginator(end_users, END_USERS_PER_PAGE).get_page(request.GET.get("page"))
    counts = usage_by_end_user(end_users=list(page.object_list))
    rows = [(eu, counts.get(eu.id, 0)) for eu in page.object_list]
    keys = project.api_keys.filter(mode=mode, revoked_at__isnull=True)
    from billing.selectors import project_billing_summary

    context = {
        "billing": project_billing_summary(project=project, mode=mode),
        "project": project,
        "mode": mode,
        "modes": Mode.values,
        "keys": {k.kind: k for k in keys},
        "tiers": Tier.objects.filter(project=project, mode=mode),
        "page": page,
        "rows": rows,
        "search": search,
        "platform_paid": project.platform.paid_plan_active,
    }
    return render(request, "dashboard/project.html", context)


@login_required
def project_settings(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_for_owner(user=request.user, project_id=project_id)
    initial = {
        "name": project.name,
        "rate_limit_per_minute": project.rate_limit_per_minute,
        "key_rate_limit_per_minute": project.key_rate_limit_per_minute,
        "allowed_origins": "\n".join(project.allowed_origins),
    }
    form = ProjectSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.project_update(project=project, **form.cleaned_data)
        messages.success(request, "Settings saved.")
        return redirect("dashboard:project", project_id=project.public_id)
    return render(request, "dashboard/project_settings.html", {"project": project, "form": form})


@login_required
def project_delete(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_for_owner(user=request.user, project_id=project_id)
    if request.method == "POST":
        if request.POST.get("confirm_name", "").strip() != project.name:
            messages.error(request, "Type the project's name exactly to delete it.")
        else:
            services.project_delete(project=project)
            messages.success(request, f"Project {project.name} deleted.")
            return redirect("dashboard:home")
    return render(request, "dashboard/project_delete.html", {"project": project})


@login_required
@require_POST
def key_regenerate(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_for_owner(user=request.user, project_id=project_id)
    mode = request_mode(request)
    kind = _key_kind(request)
    issued = services.api_key_rotate(project=project, mode=mode, kind=kind)
    return render(request, "dashboard/key_regenerated.html", {"project": project, "mode": mode, "issued": issued})


@login_required
@require_POST
def key_revoke(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_for_owner(user=request.user, project_id=project_id)
    mode = request_mode(request)
    kind = _key_kind(request)
    for api_key in project.api_keys.filter(mode=mode, kind=kind, revoked_at__isnull=True):
        services.api_key_revoke(api_key=api_key)
    messages.success(request, f"The {mode} {'secret' if kind == 'sk' else 'publishable'} key is revoked. "
                              "Regenerate it to get a new one.")
    return redirect(project_url(project, mode))


@login_required
def tier_edit(request: HttpRequest, project_id: str, slug: str | None = None) -> HttpResponse:
    project = project_for_owner(user=request.user, project_id=project_id)
    mode = request_mode(request)
    tier = _get_tier(project, mode, slug) if slug else None
    initial = {}
    if tier is not None:
        initial = {f: getattr(tier, f) for f in ("slug", "name", "price_cents", "currency", "interval",
                                                 "monthly_limit", "popular", "order")}
        initial["features"] = "\n".join(tier.features)
    form = TierForm(request.POST or None, initial=initial)
    if tier is not None:
        form.fields["slug"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            if tier is None:
                billing_services.tier_create(project=project, mode=mode, **form.cleaned_data)
            else:
                billing_services.tier_update(tier=tier, **form.cleaned_data)
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Tier saved.")
            return redirect(project_url(project, mode))
    return render(request, "dashboard/tier_form.html", {"project": project, "mode": mode, "tier": tier, "form": form})


@login_required
def tier_delete(request: HttpRequest, project_id: str, slug: str) -> HttpResponse:
    project = project_for_owner(user=request.user, project_id=project_id)
    mode = request_mode(request)
    tier = _get_tier(project, mode, slug)
    form = TierDeleteForm(request.POST or None, tier=tier)
    user_count = tier.end_users.count()
    if request.method == "POST" and form.is_valid():
        try:
            billing_services.tier_delete(tier=tier, move_users_to=form.cleaned_data.get("move_to"))
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Tier {slug} deleted.")
            return redirect(project_url(project, mode))
    return render(request, "dashboard/tier_delete.html",
                  {"project": project, "mode": mode, "tier": tier, "form": form, "user_count": user_count})


@login_required
@require_POST
def tier_make_default(request: HttpRequest, project_id: str, slug: str) -> HttpResponse:
    project = project_for_owner(user=request.user, project_id=project_id)
    mode = request_mode(request)
    billing_services.tier_set_default(tier=_get_tier(project, mode, slug))
    messages.success(request, f"New end users now start on {slug}.")
    return redirect(project_url(project, mode))
