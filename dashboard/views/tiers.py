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
from usage.features import FeatureInput, tier_features_check, tier_features_set

from ..decorators import project_page
from ..forms import TierDeleteForm, TierFeatureFormSet, TierForm
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
    initial, feature_rows = {}, []
    if tier is not None:
        initial = {f: getattr(tier, f) for f in _EDITABLE}
        initial["features"] = "\n".join(tier.features)
        feature_rows = [{"key": f.key, "kind": f.kind, "limit": f.period_limit, "enabled": f.enabled}
                        for f in tier.tier_features.all()]
    form = TierForm(request.POST or None, initial=initial)
    # A POST without the features editor (a script, an older form) leaves the features as they are.
    edits_features = request.method != "POST" or "feature-TOTAL_FORMS" in request.POST
    features = TierFeatureFormSet(request.POST if request.method == "POST" and edits_features else None,
                                  initial=feature_rows, prefix="feature")
    if tier is not None:
        form.fields["slug"].disabled = True
    if request.method == "POST" and form.is_valid() and (not edits_features or features.is_valid()):
        actor = Actor.developer(request.user)
        if edits_features:
            wanted = [f for f in (row.feature() for row in features.forms) if f is not None]
        else:
            wanted = [FeatureInput(key=r["key"], kind=r["kind"], limit=r["limit"], enabled=r["enabled"])
                      for r in feature_rows]
        try:
            # Checked before the tier is saved: a refused feature leaves the tier (and Stripe) untouched.
            tier_features_check(project_id=project.id, mode=mode, features=wanted,
                                tier_id=tier.id if tier else None)
            if tier is None:
                saved = billing_services.tier_create(project=project, mode=mode, actor=actor, **form.cleaned_data)
                tier_features_set(tier=saved, features=wanted)
            else:
                saved = billing_services.tier_update(tier=tier, actor=actor, **form.cleaned_data)
                tier_features_set(tier=saved, features=wanted, previous_monthly_limit=tier.monthly_limit)
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Tier {saved.slug} {'created' if tier is None else 'saved'} in {mode} mode.")
            return redirect(project_url(project, mode))
    return render(request, "dashboard/tier_form.html", {"project": project, "mode": mode, "tier": tier, "form": form,
                                                        "features": features})


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
