"""Creating, editing and deleting a project's tiers, and choosing the default one."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from billing import services as billing_services
from billing.models import Tier
from billing.selectors import tier_for_project
from dreamapi.errors import ApiError
from tenants.audit import Actor
from tenants.models import Project

from ..decorators import project_page
from ..forms import TierDeleteForm, TierForm
from ..links import project_url

_EDITABLE = ("slug", "name", "price_cents", "currency", "interval", "monthly_limit", "popular", "order", "trial_days",
             "trial_requires_card")


def _tier(project: Project, mode: str, slug: str) -> Tier:
    tier = tier_for_project(project=project, mode=mode, slug=slug)
    if tier is None:
        raise Http404("No such tier.")
    return tier


@project_page
def tier_edit(request: HttpRequest, *, project: Project, mode: str, slug: str | None = None) -> HttpResponse:
    tier = _tier(project, mode, slug) if slug else None
    initial = {}
    if tier is not None:
        initial = {f: getattr(tier, f) for f in _EDITABLE}
        initial["features"] = "\n".join(tier.features)
    form = TierForm(request.POST or None, initial=initial)
    if tier is not None:
        form.fields["slug"].disabled = True
    if request.method == "POST" and form.is_valid():
        actor = Actor.developer(request.user)
        try:
            if tier is None:
                saved = billing_services.tier_create(project=project, mode=mode, actor=actor, **form.cleaned_data)
            else:
                saved = billing_services.tier_update(tier=tier, actor=actor, **form.cleaned_data)
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Tier {saved.slug} {'created' if tier is None else 'saved'} in {mode} mode.")
            return redirect(project_url(project, mode))
    return render(request, "dashboard/tier_form.html", {"project": project, "mode": mode, "tier": tier, "form": form})


@project_page
def tier_delete(request: HttpRequest, *, project: Project, mode: str, slug: str) -> HttpResponse:
    tier = _tier(project, mode, slug)
    form = TierDeleteForm(request.POST or None, tier=tier)
    if request.method == "POST" and form.is_valid():
        try:
            billing_services.tier_delete(tier=tier, move_users_to=form.cleaned_data.get("move_to"),
                                         actor=Actor.developer(request.user))
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            moved = form.cleaned_data.get("move_to")
            messages.success(request, f"Tier {slug} deleted" + (f"; its end users are now on {moved.slug}." if moved
                                                                  else "."))
            return redirect(project_url(project, mode))
    return render(request, "dashboard/tier_delete.html",
                  {"project": project, "mode": mode, "tier": tier, "form": form,
                   "user_count": tier.end_users.count()})


@project_page
@require_POST
def tier_make_default(request: HttpRequest, *, project: Project, mode: str, slug: str) -> HttpResponse:
    billing_services.tier_set_default(tier=_tier(project, mode, slug), actor=Actor.developer(request.user))
    messages.success(request, f"New end users now start on {slug}.")
    return redirect(project_url(project, mode))
