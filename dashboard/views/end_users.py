"""A project's end users: the list (search, filters, order, usage bars), its CSV, one end
user's page and what a developer can do there (change the plan, reset this period's usage,
revoke their tokens, delete them)."""

from __future__ import annotations

from datetime import timedelta
from datetime import timezone as dt_timezone
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing.selectors import (
    end_user_stripe_events,
    end_user_stripe_ids,
    end_user_subscription,
)
from dreamapi.errors import ApiError
from signup.services import end_user_tokens_revoke
from tenants import services as tenant_services
from tenants.audit import Actor, audit_record
from tenants.models import EndUser, Project
from tenants.selectors import end_user_for_project
from usage.selectors import usage_calls_daily_for_end_user, usage_for_end_user
from usage.services import usage_history_fold, usage_reset

from ..csv import ROWS_PER_CHUNK, csv_response
from ..decorators import project_page
from ..formatting import end_user_label
from ..forms import EndUserFilterForm, PlanChangeForm, UsageResetForm
from ..links import project_url, stripe_dashboard_url
from ..selectors import DailySeries, end_users_filtered

END_USERS_PER_PAGE = 25
HISTORY_DAYS = 30


def _filtered(request: HttpRequest, project: Project, mode: str) -> tuple[EndUserFilterForm, dict]:
    form = EndUserFilterForm(request.GET or None, project=project, mode=mode)
    return form, form.filters()


def _end_users(project: Project, mode: str, filters: dict):
    return end_users_filtered(project=project, mode=mode, q=filters.get("q", ""), plan=filters.get("plan", ""),
                              status=filters.get("status", ""),
                              ordering=EndUserFilterForm.ordering(filters.get("sort")))


@project_page
def end_user_list(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    form, filters = _filtered(request, project, mode)
    page = Paginator(_end_users(project, mode, filters), END_USERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "dashboard/end_users.html", {
        "project": project, "mode": mode, "form": form, "filters": filters, "page": page,
        "query": urlencode({"mode": mode, **filters}),
        "export_url": project_url(project, mode, "end_users_export", **filters),
        "now": timezone.now(),
        "empty_text": (f"No end user matches “{filters['q']}” in {mode} mode." if filters.get("q")
                       else f"No end users match these filters in {mode} mode." if filters
                       else f"No end users in {mode} mode yet."),
    })


@project_page
def end_user_export(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    """The list as CSV, with the same search, filters and order; streamed."""
    _, filters = _filtered(request, project, mode)
    columns = {"id": "public_id", "email": "email", "external_id": "external_id", "first_name": "first_name",
               "last_name": "last_name", "plan": "tier__slug", "usage_this_period": "usage",
               "limit": "tier__monthly_limit", "subscription_status": "sub_status",
               "cancel_at_period_end": "sub_cancel_at_period_end", "current_period_end": "sub_period_end",
               "email_verified": "email_verified", "created_at": "created_at"}
    rows = _end_users(project, mode, filters).values_list(*columns.values()).iterator(chunk_size=ROWS_PER_CHUNK)
    header = list(columns)
    return csv_response(filename=f"{project.public_id}-{mode}-end-users.csv", header=header, rows=rows)


def _end_user(project: Project, mode: str, public_id: str) -> EndUser:
    end_user = end_user_for_project(project=project, mode=mode, public_id=public_id)
    if end_user is None:
        raise Http404("No such end user in this project and mode.")
    return end_user


@project_page
def end_user_detail(request: HttpRequest, *, project: Project, mode: str, public_id: str) -> HttpResponse:
    end_user = _end_user(project, mode, public_id)
    now = timezone.now()
    usage_history_fold(project_id=project.id, now=now)  # today's bar up to this moment
    usage = usage_for_end_user(end_user=end_user, now=now)
    first = now.astimezone(dt_timezone.utc).date() - timedelta(days=HISTORY_DAYS - 1)
    daily = usage_calls_daily_for_end_user(end_user=end_user, since=first)
    history = DailySeries("Tracked calls per day", "calls",
                          [(first + timedelta(days=i), daily.get(first + timedelta(days=i), 0))
                           for i in range(HISTORY_DAYS)])
    customers, subscriptions = end_user_stripe_ids(end_user=end_user)
    return render(request, "dashboard/end_user.html", {
        "project": project, "mode": mode, "end_user": end_user, "usage": usage, "history": history,
        "subscription": end_user_subscription(end_user=end_user), "now": now,
        "stripe_customers": [(c, stripe_dashboard_url(mode, "customers", c)) for c in customers],
        "stripe_subscriptions": [(s, stripe_dashboard_url(mode, "subscriptions", s)) for s in subscriptions],
        "events": end_user_stripe_events(end_user=end_user),
        "plan_form": PlanChangeForm(initial={"plan": end_user.tier.slug}, project=project, mode=mode),
        "reset_form": UsageResetForm(),
    })


@project_page
@require_POST
def end_user_change_plan(request: HttpRequest, *, project: Project, mode: str, public_id: str) -> HttpResponse:
    end_user = _end_user(project, mode, public_id)
    form = PlanChangeForm(request.POST, project=project, mode=mode)
    if not form.is_valid():
        messages.error(request, "Choose one of the project's plans.")
    else:
        old = end_user.tier.name
        try:
            tenant_services.end_user_update(end_user=end_user, plan=form.cleaned_data["plan"],
                                            actor=Actor.developer(request.user))
        except ApiError as exc:
            messages.error(request, exc.message)
        else:
            if end_user.tier.name == old:
                messages.info(request, f"{end_user_label(end_user)} is already on {old}.")
            else:
                messages.success(request, f"{end_user_label(end_user)} moved from {old} to {end_user.tier.name}.")
    return redirect(project_url(project, mode, "end_user", public_id))


@project_page
@require_POST
def end_user_reset_usage(request: HttpRequest, *, project: Project, mode: str, public_id: str) -> HttpResponse:
    end_user = _end_user(project, mode, public_id)
    form = UsageResetForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the usage is reset: the reason is kept in the audit log.")
        return redirect(project_url(project, mode, "end_user", public_id))
    cleared = usage_reset(end_user=end_user, actor=Actor.developer(request.user), reason=form.cleaned_data["reason"])
    if cleared:
        messages.success(request, f"Usage of {end_user_label(end_user)} reset: {cleared:,} "
                                  f"call{'s' if cleared != 1 else ''} this period cleared.")
    else:
        messages.info(request, f"{end_user_label(end_user)} has no usage this period: nothing to reset.")
    return redirect(project_url(project, mode, "end_user", public_id))


@project_page
@require_POST
def end_user_revoke_tokens(request: HttpRequest, *, project: Project, mode: str, public_id: str) -> HttpResponse:
    end_user = _end_user(project, mode, public_id)
    with transaction.atomic():
        end_user_tokens_revoke(end_user=end_user)
        audit_record(project=project, actor=Actor.developer(request.user), action="end_user.tokens_revoke",
                     target=end_user.public_id, mode=mode)
    messages.success(request, f"Every token of {end_user_label(end_user)} is revoked: they must sign in again.")
    return redirect(project_url(project, mode, "end_user", public_id))


@project_page
def end_user_delete(request: HttpRequest, *, project: Project, mode: str, public_id: str) -> HttpResponse:
    end_user = _end_user(project, mode, public_id)
    if request.method == "POST":
        if request.POST.get("confirm_email", "").strip().lower() != end_user_label(end_user).lower():
            messages.error(request, f"Type {end_user_label(end_user)} exactly to delete this end user.")
        else:
            tenant_services.end_user_delete(end_user=end_user, actor=Actor.developer(request.user))
            messages.success(request, f"End user {end_user_label(end_user)} ({public_id}) deleted.")
            return redirect(project_url(project, mode, "end_users"))
    return render(request, "dashboard/end_user_delete.html", {"project": project, "mode": mode, "end_user": end_user})
