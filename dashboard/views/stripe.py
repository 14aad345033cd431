"""Connecting a project's Stripe account, its Stripe events, and promoting test tiers to live."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing import services as billing_services
from billing.models import StripeEvent
from billing.selectors import (
    active_connection,
    stripe_event_for_project,
    stripe_events_for_project,
)
from billing.services.connect import stripe_connect_state_read
from billing.services.promote import live_stripe_connected
from dreamapi.errors import ApiError
from tenants.audit import Actor
from tenants.models import Mode, Project
from tenants.selectors import project_for_owner

from ..csv import ROWS_PER_CHUNK, csv_response
from ..decorators import project_page
from ..links import project_url

_NONCE_SESSION_KEY = "stripe_connect_nonce"
EVENTS_PER_PAGE = 50


@project_page
@require_POST
def stripe_connect(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    url, nonce = billing_services.stripe_connect_start(
        project=project, mode=mode, redirect_uri=request.build_absolute_uri(reverse("dashboard:stripe_callback"))
    )
    request.session[_NONCE_SESSION_KEY] = nonce
    return redirect(url)


@login_required
def stripe_callback(request: HttpRequest) -> HttpResponse:
    """Stripe sends the developer back here after they approve (or deny) the connection.

    The one page whose project is not in its URL: it comes from the signed ``state``, and is
    still fetched for the logged-in developer only (404 for anybody else's).
    """
    nonce = request.session.pop(_NONCE_SESSION_KEY, None)
    try:
        project_id, mode = stripe_connect_state_read(state=request.GET.get("state", ""), nonce=nonce)
    except ApiError as exc:
        messages.error(request, exc.message)
        return redirect("dashboard:home")
    project = project_for_owner(user=request.user, project_id=project_id)
    if request.GET.get("error"):
        reason = request.GET.get("error_description") or request.GET["error"]
        messages.error(request, f"Stripe was not connected: {reason}.")
        return redirect(project_url(project, mode))
    try:
        connection = billing_services.stripe_connect_finish(project=project, mode=mode,
                                                            code=request.GET.get("code", ""))
    except ApiError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Stripe account {connection.account_id} connected for {mode} mode.")
    return redirect(project_url(project, mode))


@project_page
def stripe_disconnect(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    connection = active_connection(project_id=project.id, mode=mode)
    if connection is None:
        raise Http404("No Stripe account is connected in this mode.")
    if request.method == "POST":
        try:
            billing_services.stripe_disconnect(connection=connection)
        except ApiError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Stripe account {connection.account_id} disconnected.")
        return redirect(project_url(project, mode))
    return render(request, "dashboard/stripe_disconnect.html",
                  {"project": project, "mode": mode, "connection": connection})


@project_page
def stripe_events(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    status = request.GET.get("status", "")
    events = stripe_events_for_project(project=project, mode=mode, status=status)
    status = status if status in StripeEvent.Status.values else ""
    page = Paginator(events.defer("payload"), EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "dashboard/stripe_events.html", {
        "project": project, "mode": mode, "page": page, "status": status, "statuses": StripeEvent.Status.choices,
        "query": urlencode({"mode": mode, "status": status}),
        "export_url": project_url(project, mode, "stripe_events_export", status=status),
    })


@project_page
def stripe_events_export(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    """The events as CSV, with the page's status filter; streamed."""
    rows = stripe_events_for_project(project=project, mode=mode, status=request.GET.get("status", "")).values_list(
        "received_at", "type", "stripe_event_id", "account_id", "status", "attempts", "processed_at", "note",
        "last_error",
    ).iterator(chunk_size=ROWS_PER_CHUNK)
    header = ["received_at", "type", "event_id", "account_id", "status", "attempts", "processed_at", "note", "error"]
    return csv_response(filename=f"{project.public_id}-{mode}-stripe-events.csv", header=header, rows=rows)


@project_page
@require_POST
def stripe_event_replay(request: HttpRequest, *, project: Project, mode: str, event_id: int) -> HttpResponse:
    event = stripe_event_for_project(project=project, event_id=event_id)
    if event is None:
        raise Http404("No such event.")
    if billing_services.stripe_event_replay(event=event):
        messages.success(request, f"Event {event.stripe_event_id} queued again.")
    else:
        messages.error(request, "Only failed or ignored events can be replayed.")
    return redirect(project_url(project, mode, "stripe_events"))


@project_page
def promote(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    plan = billing_services.promote_plan(project=project)
    if request.method == "POST":
        try:
            done = billing_services.promote_to_live(project=project, actor=Actor.developer(request.user))
        except ApiError as exc:
            messages.error(request, f"Nothing was promoted: {exc.message}")
        else:
            changed = [f"{c.slug} ({'created' if c.action == 'create' else 'updated'})" for c in done
                       if c.action != "unchanged"]
            messages.success(request, f"Promoted to live mode: {', '.join(changed) or 'nothing had changed'}.")
            return redirect(project_url(project, Mode.LIVE))
    return render(request, "dashboard/promote.html", {
        "project": project, "mode": Mode.TEST, "plan": plan, "live_connected": live_stripe_connected(project=project),
        "has_changes": any(c.action != "unchanged" for c in plan),
    })
