"""URLs of project pages. Every project page shows one mode, so its links carry ``?mode=``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from tenants.models import Project


def project_url(project: Project, mode: str, name: str = "project", *args: object, **query: object) -> str:
    """``project_url(p, "live", "tier_edit", "pro")`` → ``/dashboard/projects/prj_…/tiers/pro/?mode=live``.

    Empty query values are left out, so a filter that is not set does not clutter the link.
    """
    url = reverse(f"dashboard:{name}", args=[project.public_id, *args])
    params = {"mode": mode, **{k: v for k, v in query.items() if v not in (None, "")}}
    return f"{url}?{urlencode(params)}"
