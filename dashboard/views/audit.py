"""A project's audit log: who changed keys, tiers, plans, usage or the project, and when."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.models import Project
from tenants.selectors import audit_events_for_project

from ..decorators import project_page

EVENTS_PER_PAGE = 50


@project_page
def audit_log(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    page = Paginator(audit_events_for_project(project=project), EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "dashboard/audit_log.html", {
        "project": project, "mode": mode, "page": page, "query": urlencode({"mode": mode}),
    })
