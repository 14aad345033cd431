"""A project's webhook endpoints: list, create, edit, delete, rotate the signing secret, and
their deliveries with the answers they got (replayable)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dreamapi.errors import ApiError
from tenants.models import Project
from webhooks import services as webhook_services
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.selectors import (
    deliveries_for_endpoint,
    delivery_for_endpoint,
    endpoint_for_project,
    endpoints_for_project,
)

from ..decorators import project_page
from ..forms import WebhookEndpointForm
from ..links import project_url

DELIVERIES_PER_PAGE = 50


def _endpoint(project: Project, endpoint_id: str) -> WebhookEndpoint:
    endpoint = endpoint_for_project(project=project, endpoint_id=endpoint_id)
    if endpoint is None:
        raise Http404("No such endpoint.")
    return endpoint


def _delivery(project: Project, endpoint_id: str, delivery_id: str) -> tuple[WebhookEndpoint, WebhookDelivery]:
    endpoint = _endpoint(project, endpoint_id)
    delivery = delivery_for_endpoint(endpoint=endpoint, delivery_id=delivery_id)
    if delivery is None:
        raise Http404("No such delivery.")
    return endpoint, delivery


def _detail_url(endpoint: WebhookEndpoint) -> str:
    return project_url(endpoint.project, endpoint.mode, "webhook", endpoint.public_id)


@project_page
def webhook_list(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    endpoints = endpoints_for_project(project=project, mode=mode)
    return render(request, "dashboard/webhooks.html", {"project": project, "mode": mode, "endpoints": endpoints,
                                                       "event_types": EVENT_TYPES})


def _save(request: HttpRequest, form: WebhookEndpointForm, save) -> WebhookEndpoint | None:
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return save(**form.cleaned_data)
    except ApiError as exc:
        fields = exc.extra.get("fields", {})
        for name, errors in fields.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
        if not fields:
            form.add_error(None, exc.message)
        return None


@project_page
def webhook_new(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None)

    def save(**fields) -> WebhookEndpoint:
        return webhook_services.webhook_endpoint_create(project=project, mode=mode, **fields)

    endpoint = _save(request, form, save)
    if endpoint is not None:
        messages.success(request, "Endpoint added. Verify each delivery's signature with the signing secret below.")
        return redirect(_detail_url(endpoint))
    return render(request, "dashboard/webhook_form.html", {"project": project, "mode": mode, "form": form})


@project_page
def webhook_edit(request: HttpRequest, *, project: Project, mode: str, endpoint_id: str) -> HttpResponse:
    endpoint = _endpoint(project, endpoint_id)
    initial = {"url": endpoint.url, "description": endpoint.description, "event_types": endpoint.event_types,
               "thresholds": ", ".join(str(t) for t in endpoint.thresholds), "enabled": endpoint.enabled}
    form = WebhookEndpointForm(request.POST or None, initial=initial)

    def save(**fields) -> WebhookEndpoint:
        return webhook_services.webhook_endpoint_update(endpoint=endpoint, **fields)

    if _save(request, form, save) is not None:
        messages.success(request, "Endpoint saved.")
        return redirect(_detail_url(endpoint))
    return render(request, "dashboard/webhook_form.html", {"project": project, "mode": endpoint.mode,
                                                           "form": form, "endpoint": endpoint})


@project_page
def webhook_detail(request: HttpRequest, *, project: Project, mode: str, endpoint_id: str) -> HttpResponse:
    endpoint = _endpoint(project, endpoint_id)
    status = request.GET.get("status", "")
    status = status if status in WebhookDelivery.Status.values else ""
    deliveries = deliveries_for_endpoint(endpoint=endpoint, status=status)
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "dashboard/webhook_detail.html", {
        "project": project, "mode": endpoint.mode, "endpoint": endpoint, "page": page, "status": status,
        "statuses": WebhookDelivery.Status.choices, "query": urlencode({"mode": endpoint.mode, "status": status}),
        "secret": webhook_services.webhook_endpoint_secret(endpoint=endpoint),
    })


@project_page
def webhook_delete(request: HttpRequest, *, project: Project, mode: str, endpoint_id: str) -> HttpResponse:
    endpoint = _endpoint(project, endpoint_id)
    if request.method == "POST":
        webhook_services.webhook_endpoint_delete(endpoint=endpoint)
        messages.success(request, f"Endpoint {endpoint.url} deleted.")
        return redirect(project_url(project, endpoint.mode, "webhooks"))
    return render(request, "dashboard/webhook_delete.html", {"project": project, "mode": endpoint.mode,
                                                             "endpoint": endpoint})


@project_page
@require_POST
def webhook_rotate(request: HttpRequest, *, project: Project, mode: str, endpoint_id: str) -> HttpResponse:
    endpoint = _endpoint(project, endpoint_id)
    if request.POST.get("now"):
        webhook_services.webhook_endpoint_rotate_secret(endpoint=endpoint, overlap=webhook_services.NO_OVERLAP)
        messages.success(request, "New signing secret. The old one no longer signs deliveries.")
    else:
        webhook_services.webhook_endpoint_rotate_secret(endpoint=endpoint)
        messages.success(request, "New signing secret. For 24 hours deliveries are signed with the old one too.")
    return redirect(_detail_url(endpoint))


@project_page
def webhook_delivery(request: HttpRequest, *, project: Project, mode: str, endpoint_id: str,
                     delivery_id: str) -> HttpResponse:
    endpoint, delivery = _delivery(project, endpoint_id, delivery_id)
    return render(request, "dashboard/webhook_delivery.html", {
        "project": project, "mode": endpoint.mode, "endpoint": endpoint, "delivery": delivery,
        "payload": json.dumps(json.loads(webhook_services.event_payload(delivery.event)), indent=2,
                              ensure_ascii=False),
    })


@project_page
@require_POST
def webhook_delivery_replay(request: HttpRequest, *, project: Project, mode: str, endpoint_id: str,
                            delivery_id: str) -> HttpResponse:
    endpoint, delivery = _delivery(project, endpoint_id, delivery_id)
    replay = webhook_services.webhook_delivery_replay(delivery=delivery)
    messages.success(request, f"Event {delivery.event.public_id} sent again (delivery {replay.public_id}).")
    return redirect(_detail_url(endpoint))
