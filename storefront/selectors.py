"""Reads for the store, for the API and the dashboard pages."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime, time, timezone
from itertools import islice
from typing import Iterable, Iterator, Literal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncMonth

from .models import Order, OrderLine, Product


def _moment(value: datetime | date) -> datetime:
    """A date means its first instant (UTC)."""
    return value if isinstance(value, datetime) else datetime.combine(value, time.min, tzinfo=timezone.utc)


def _paid_between(orders: QuerySet[Order], since: datetime | date | None, until: datetime | date | None
                  ) -> QuerySet[Order]:
    if since is not None:
        orders = orders.filter(paid_at__gte=_moment(since))
    if until is not None:
        orders = orders.filter(paid_at__lt=_moment(until))
    return orders


def products_for_sale(*, project_id: int, mode: str) -> QuerySet[Product]:
    """Active products in display order, with their image (what ``GET /api/products`` lists)."""
    return Product.objects.filter(project_id=project_id, mode=mode, active=True).select_related("image")


def products_with_stock(*, project_id: int, mode: str, include_archived: bool = True) -> QuerySet[Product]:
    """Every product with its counters (``inventory`` on hand, ``reserved``, ``sold``; the
    ``available`` property) and, annotated, ``orders_count`` and ``revenue`` (minor units of
    paid orders' lines, before refunds), for the dashboard's products page."""
    products = Product.objects.filter(project_id=project_id, mode=mode).select_related("image")
    if not include_archived:
        products = products.filter(active=True)
    return products.annotate(
        orders_count=Count("order_lines__order", distinct=True),
        revenue=Coalesce(Sum("order_lines__amount_total"), 0),
    ).order_by("-active", "order", "id")


def orders_search(
    *, project_id: int, mode: str, search: str = "", status: str | None = None,
    since: datetime | date | None = None, until: datetime | date | None = None,
) -> QuerySet[Order]:
    """Orders newest first, with their lines. ``search`` matches the e-mail, name, order id,
    payment id or a product's name; ``[since, until)`` bounds the payment time."""
    orders = Order.objects.filter(project_id=project_id, mode=mode)
    if search:
        term = search.strip()
        orders = orders.filter(
            Q(email__icontains=term) | Q(name__icontains=term) | Q(public_id=term) | Q(payment_intent_id=term)
            | Q(pk__in=OrderLine.objects.filter(product_name__icontains=term).values("order_id"))
        )
    if status:
        orders = orders.filter(status=status)
    orders = _paid_between(orders, since, until)
    lines = Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
    return orders.prefetch_related(lines).order_by("-paid_at", "-id")


def orders_totals(*, orders: QuerySet[Order]) -> list[dict]:
    """Per currency: ``orders``, ``gross``, ``refunded`` and ``net`` (minor units) of a set of orders."""
    rows = (orders.order_by().values("currency")
            .annotate(count=Count("id"), gross=Sum("amount_total"), refunded=Sum("amount_refunded"))
            .order_by("currency"))
    return [{"currency": r["currency"], "orders": r["count"], "gross": r["gross"], "refunded": r["refunded"],
             "net": r["gross"] - r["refunded"]} for r in rows]


def store_revenue(*, project_ids: Iterable[int], mode: str, since: datetime | date | None = None,
                  until: datetime | date | None = None) -> dict[int, dict[str, int]]:
    """Money the store kept: paid orders minus what was refunded of them, for orders paid in
    ``[since, until)``, per project and currency, in minor units (as
    ``billing.selectors.subscription_revenue`` answers for subscriptions)."""
    orders = _paid_between(Order.objects.filter(project_id__in=list(project_ids), mode=mode), since, until)
    rows = (orders.order_by().values("project_id", "currency")
            .annotate(net=Sum(F("amount_total") - F("amount_refunded"))).values_list("project_id", "currency", "net"))
    revenue: dict[int, dict[str, int]] = {}
    for project_id, currency, net in rows:
        if net:
            revenue.setdefault(project_id, {})[currency] = net
    return revenue


def order_for_project(*, project_id: int, mode: str, public_id: str) -> Order | None:
    """One order with its lines, only if it belongs to the project and mode."""
    return orders_search(project_id=project_id, mode=mode).filter(public_id=public_id).first()


def revenue_by_period(
    *, project_id: int, mode: str, period: Literal["day", "month"] = "day",
    since: datetime | date | None = None, until: datetime | date | None = None,
) -> list[dict]:
    """Revenue per UTC day or month and currency: ``period`` (a date), ``currency``, ``orders``,
    ``gross``, ``refunded``, ``net``, oldest first."""
    trunc = TruncDay if period == "day" else TruncMonth
    orders = _paid_between(Order.objects.filter(project_id=project_id, mode=mode), since, until)
    rows = (orders.annotate(period=trunc("paid_at")).values("period", "currency")
            .annotate(count=Count("id"), gross=Sum("amount_total"), refunded=Sum("amount_refunded"),
                      net=Sum(F("amount_total") - F("amount_refunded")))
            .order_by("period", "currency"))
    return [{"period": r["period"].date() if isinstance(r["period"], datetime) else r["period"],
             "currency": r["currency"], "orders": r["count"], "gross": r["gross"], "refunded": r["refunded"],
             "net": r["net"]} for r in rows]


ORDERS_CSV_HEADER = ["order", "paid_at", "status", "email", "name", "items", "amount", "refunded", "currency",
                     "payment_intent", "checkout_session"]


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula is quoted with '."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def orders_csv(*, orders: QuerySet[Order], chunk_size: int = 500) -> Iterator[str]:
    """The orders as CSV text, one line at a time (header first), reading the database in
    chunks: feed it to a ``StreamingHttpResponse`` and a large store never sits in memory.
    Amounts are minor units.

    Orders and their lines are read as plain tuples, a chunk of orders and then one query for
    those orders' lines: prefetched model instances would hold each other in reference cycles
    that only the garbage collector frees, so memory would grow with the export until it ran."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(row: list[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(v) for v in row])
        return buffer.getvalue()

    yield line(list(ORDERS_CSV_HEADER))
    rows = orders.prefetch_related(None).values_list(
        "pk", "public_id", "paid_at", "status", "email", "name", "amount_total", "amount_refunded", "currency",
        "payment_intent_id", "stripe_session_id",
    ).iterator(chunk_size=chunk_size)
    while chunk := list(islice(rows, chunk_size)):
        items: dict[int, list[str]] = defaultdict(list)
        lines = OrderLine.objects.filter(order_id__in=[row[0] for row in chunk]).order_by("id")
        for order_id, quantity, product_name in lines.values_list("order_id", "quantity", "product_name"):
            items[order_id].append(f"{quantity} x {product_name}")
        for pk, public_id, paid_at, status, email, name, amount, refunded, currency, payment, session in chunk:
            yield line([public_id, paid_at.isoformat(), status, email, name, "; ".join(items[pk]), amount, refunded,
                        currency, payment, session])
