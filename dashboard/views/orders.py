"""A project's orders: search and filters, totals per currency, pages, one order, and the
CSV export (streamed, with the page's filters)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from storefront.models import Order
from storefront.selectors import order_for_project, orders_csv, orders_search, orders_totals
from tenants.models import Project

from ..csv import csv_lines_response
from ..decorators import project_page
from ..forms import OrderFilterForm
from ..links import project_url, stripe_dashboard_url

ORDERS_PER_PAGE = 25


def _filtered(request: HttpRequest, project: Project, mode: str) -> tuple[OrderFilterForm, dict, QuerySet[Order]]:
    form = OrderFilterForm(request.GET or None)
    filters = form.filters()
    since, until = OrderFilterForm.paid_between(filters)
    orders = orders_search(project_id=project.id, mode=mode, search=filters.get("q", ""),
                           status=filters.get("status"), since=since, until=until)
    return form, filters, orders


@project_page
def order_list(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    form, filters, orders = _filtered(request, project, mode)
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "dashboard/orders.html", {
        "project": project, "mode": mode, "form": form, "filters": filters, "page": page,
        "totals": orders_totals(orders=orders),
        "query": urlencode({"mode": mode, **filters}),
        "export_url": project_url(project, mode, "orders_export", **filters),
        "empty_text": (f"No orders match these filters in {mode} mode." if filters
                       else f"No orders in {mode} mode yet."),
    })


@project_page
def order_export(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    """The orders as CSV, with the page's search and filters; streamed a chunk at a time."""
    _, _, orders = _filtered(request, project, mode)
    return csv_lines_response(filename=f"{project.public_id}-{mode}-orders.csv", lines=orders_csv(orders=orders))


@project_page
def order_detail(request: HttpRequest, *, project: Project, mode: str, order_id: str) -> HttpResponse:
    order = order_for_project(project_id=project.id, mode=mode, public_id=order_id)
    if order is None:
        raise Http404("No such order in this project and mode.")
    return render(request, "dashboard/order.html", {
        "project": project, "mode": mode, "order": order, "net": order.amount_total - order.amount_refunded,
        "payment_url": stripe_dashboard_url(mode, "payments", order.payment_intent_id) if order.payment_intent_id else None,
    })
