"""URLs of project pages. Every project page shows one mode, so its links carry ``?mode=``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from tenants.models import Mode, Project


def project_url(project: Project, mode: str, name: str = "project", *args: object, **query: object) -> str:
    """``project_url(p, "live", "tier_edit", "pro")`` → ``/dashboard/projects/prj_…/tiers/pro/?mode=live``.

    Empty query values are left out, so a filter that is not set does not clutter the link.
    """
    url = reverse(f"dashboard:{name}", args=[project.public_id, *args])
    params = {"mode": mode, **{k: v for k, v in query.items() if v not in (None, "")}}
    return f"{url}?{urlencode(params)}"


def stripe_dashboard_url(mode: str, kind: str, object_id: str) -> str:
    """An object in the developer's own Stripe dashboard (they are signed in to their account
    there): ``stripe_dashboard_url("test", "payments", "pi_…")``."""
    return f"https://dashboard.stripe.com/{'test/' if mode == Mode.TEST else ''}{kind}/{object_id}"


def project_home(project: Project, mode: str) -> str:
    """Where a project opens: a store on its products, a SaaS on its overview (tiers).
    Every project has both sections; the kind only chooses the first page."""
    return project_url(project, mode, "products" if project.kind == Project.Kind.STORE else "project")
