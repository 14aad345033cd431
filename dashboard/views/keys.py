"""Regenerating and revoking a project's API keys."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenants import services as tenant_services
from tenants.audit import Actor
from tenants.models import ApiKey, Project

from ..decorators import project_page
from ..links import project_url


def _key_kind(request: HttpRequest) -> str:
    kind = request.POST.get("kind", ApiKey.Kind.SECRET)
    if kind not in ApiKey.Kind.values:
        raise Http404("No such key kind.")
    return kind


@project_page
@require_POST
def key_regenerate(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    issued = tenant_services.api_key_rotate(project=project, mode=mode, kind=_key_kind(request),
                                            actor=Actor.developer(request.user))
    # Rendered, not redirected: the raw key must not pass through the session.
    return render(request, "dashboard/key_regenerated.html", {"project": project, "mode": mode, "issued": issued})


@project_page
@require_POST
def key_revoke(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    kind = _key_kind(request)
    tenant_services.api_keys_revoke(project=project, mode=mode, kind=kind, actor=Actor.developer(request.user))
    label = ApiKey.Kind(kind).label.lower()
    messages.success(request, f"The {mode} {label} key is revoked. Regenerate it to get a new one.")
    return redirect(project_url(project, mode))
