"""How a dashboard view gets its project: resolved and authorized once, before the view runs
(in the spirit of Sentry's ``convert_args``), so no view repeats the lookup."""

from __future__ import annotations

from functools import wraps
from typing import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from tenants.models import Mode
from tenants.selectors import project_for_owner


def request_mode(request: HttpRequest) -> str:
    """The mode a page shows (``?mode=`` or a form field ``mode``); test unless live is asked for."""
    mode = request.POST.get("mode") or request.GET.get("mode") or Mode.TEST
    return mode if mode in Mode.values else Mode.TEST


def project_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For views ``view(request, *, project, mode, **url_kwargs)`` under ``projects/<project_id>/``.

    Needs a logged-in developer; ``project_id`` becomes the developer's own ``Project`` (404
    for anybody else's or an unknown one: the same answer, so ids cannot be probed) and the
    mode comes from :func:`request_mode`.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, project_id: str, **kwargs) -> HttpResponse:
        project = project_for_owner(user=request.user, project_id=project_id)
        return view(request, project=project, mode=request_mode(request), **kwargs)

    return login_required(wrapper)
