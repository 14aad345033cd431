"""The Connect webhook endpoint and the billing pages of the dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from dreamapi.errors import ApiError
from tenants.models import Mode
from tenants.selectors import project_for_owner
from tenants.views import project_url, request_mode

from . import services
from .models import StripeEvent
from .selectors import active_connection
from .services.connect import stripe_connect_state_read
from .services.promote import live_stripe_connected
from .stripe_api import StripeError


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    """``POST /webhook/stripe``: verify, store once, enqueue, answer 200 at once."""
    signature = request.headers.get("Stripe-Signature", "")
    if not signature:
        return JsonResponse({"error": "Bad request", "message": "Missing Stripe-Signature header.",
                             "code": "invalid_signature"}, status=400)
    try:
        event, created = services.stripe_event_receive(payload=request.body, signature=signature)
    except StripeError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status_code)
    return JsonResponse({"received": True, "id": event.stripe_event_id, "duplicate": not created})


# --- dashboard pages ----------------------------------------------------------------------

_NONCE_SESSION_KEY = "stripe_connect_nonce"


@login_required
@require_POST
def stripe_connect(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_for_owner(user=request.user, project_id=project_id)
    mode = request_mode(request)
    url, nonce = services.stripe_connect_start(
        project=project, mode=mode, redirect_uri=request.build_absolute_uri(reverse("billing:stripe_callback"))
    )
    request.session[_NONCE_SESSION_KEY] = nonce
    return redirect(url)


@login_required
def stripe_callback(request: HttpRequest) -> HttpResponse:
    """Stripe sends the developer back here after they approve (or deny) the connection."""
    nonce = request.session.pop(_NONCE_SESSION_KEY, None)
    try:
        project_id, mode = stripe_connect_state_read(state=request.GET.get("state", ""), nonce=nonce)
    except ApiError as exc:
        messages.error(request, exc.message)
        return redirect("dashboard:home")
    project = project_for_owner(user=request.user, project_id=project_id)
    if request.GET.get("error"):
        messages.error(request, f"Stripe was not connected: {request.GET.get('error_description') or request.GET['error']}.")
        return redirect(project_url(project, mode))
    try:
        connection = services.stripe_connect_finish(project=project, mode=mode, code=request.GET.get("code", ""))
    except ApiError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Stripe account {connection.account_id} connected for {mode} mode.")
    return redirect(project_url(project, mode))


@login_required
def stripe_disconnect(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_for_owner(user=request.user, project_id=project_id)
    mode = request_mode(request)
    connection = active_connection(project_id=project.id, mode=mode)
    if connection is None:
        raise Http404("No Stripe account is connected in this mode.")
    if request.method == "POST":
        try:
            services.stripe_disconnect(connection=connection)
        except ApiError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Stripe account {connection.account_id} disconnected.")
        return redirect(project_url(project, mode))
    return render(request, "billing/disconnect.html", {"project": project, "mode": mode, "connection": connection})


@login_required
def stripe_events(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_for_owner(user=request.user, project_id=project_id)
    mode = request_mode(request)
    status = request.GET.get("status", "")
    events = StripeEvent.objects.filter(project=project, livemode=(mode == Mode.LIVE))
    if status in StripeEvent.Status.values:
        events = events.filter(status=status)
    page = Paginator(events.defer("payload"), 50).get_page(request.GET.get("page"))
    return render(request, "billing/events.html", {"project": project, "mode": mode, "page": page,
                                                   "status": status, "statuses": StripeEvent.Status.choices})


@login_required
@require_POST
def stripe_event_replay(request: HttpRequest, project_id: str, event_id: int) -> HttpResponse:
    project = project_for_owner(user=request.user, project_id=project_id)
    event = StripeEvent.objects.filter(project=project, pk=event_id).first()
    if event is None:
        raise Http404("No such event.")
    if services.stripe_event_replay(event=event):
        messages.success(request, f"Event {event.stripe_event_id} queued again.")
    else:
        messages.error(request, "Only failed or ignored events can be replayed.")
    return redirect(f"{reverse('billing:events', args=[project.public_id])}?mode={request_mode(request)}")


@login_required
def promote(request: HttpRequest, project_id: str) -> HttpResponse:
    project = project_for_owner(user=request.user, project_id=project_id)
    plan = services.promote_plan(project=project)
    if request.method == "POST":
        try:
            services.promote_to_live(project=project)
        except ApiError as exc:
            messages.error(request, f"Nothing was promoted: {exc.message}")
        else:
            messages.success(request, "Tiers promoted to live mode.")
            return redirect(project_url(project, Mode.LIVE))
    return render(request, "billing/promote.html", {
        "project": project, "plan": plan, "live_connected": live_stripe_connected(project=project),
        "has_changes": any(c.action != "unchanged" for c in plan),
    })


@login_required
def platform_plan(request: HttpRequest) -> HttpResponse:
    """The developer's own dream-api plan: live keys work only while it is active."""
    from tenants.services import platform_get_or_create

    from .services.platform_plan import platform_plan_active, platform_plan_checkout

    platform = platform_get_or_create(user=request.user)
    if request.method == "POST":
        page = request.build_absolute_uri(reverse("billing:platform_plan"))
        try:
            url = platform_plan_checkout(platform=platform, success_url=f"{page}?checkout=success",
                                         cancel_url=f"{page}?checkout=cancel")
        except ApiError as exc:
            messages.error(request, exc.message)
        else:
            return redirect(url)
    if request.GET.get("checkout") == "success" and not platform.paid_plan_active:
        messages.info(request, "Thank you! Your payment is being confirmed; this page shows it within seconds.")
    return render(request, "billing/platform_plan.html", {
        "platform": platform, "stripe_active": platform_plan_active(user=request.user),
    })
