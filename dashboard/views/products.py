"""A project's products: the list with stock and sales, creating and editing one (with its
image), archiving and bringing it back, and deleting one that never sold."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing.selectors import active_connection
from dreamapi.errors import ApiError
from storefront import services as store_services
from storefront.models import Product
from storefront.selectors import products_with_stock
from tenants.audit import Actor
from tenants.models import Project

from ..decorators import project_page
from ..forms import ProductDeleteForm, ProductForm
from ..links import project_url

PRODUCTS_PER_PAGE = 50
PRODUCT_STATUSES = {"active": "On sale", "archived": "Archived", "all": "All"}


def _product(project: Project, mode: str, product_id: str) -> Product:
    """The product with its stock counters, ``orders_count`` and ``revenue``; 404 unless it is
    this project's, in this mode."""
    product = products_with_stock(project_id=project.id, mode=mode).filter(public_id=product_id).first()
    if product is None:
        raise Http404("No such product in this project and mode.")
    return product


def image_src(product: Product) -> str | None:
    """The product image's address on this site (what the API's ``imageUrl`` serves)."""
    return reverse("api-asset", args=[product.image.key]) if product.image_id else None


@project_page
def product_list(request: HttpRequest, *, project: Project, mode: str) -> HttpResponse:
    status = request.GET.get("status") if request.GET.get("status") in PRODUCT_STATUSES else "active"
    products = products_with_stock(project_id=project.id, mode=mode, include_archived=status != "active")
    if status == "archived":
        products = products.filter(active=False)
    page = Paginator(products, PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))
    for product in page:
        product.image_src = image_src(product)
    return render(request, "dashboard/products.html", {
        "project": project, "mode": mode, "page": page, "status": status, "statuses": PRODUCT_STATUSES,
        "query": urlencode({"mode": mode, "status": status}),
        "connected": active_connection(project_id=project.id, mode=mode) is not None,
    })


@project_page
def product_edit(request: HttpRequest, *, project: Project, mode: str, product_id: str | None = None
                 ) -> HttpResponse:
    product = _product(project, mode, product_id) if product_id else None
    form = ProductForm(request.POST or None, request.FILES or None, product=product)
    if request.method == "POST" and form.is_valid():
        actor = Actor.developer(request.user)
        data = form.cleaned_data
        try:
            # One transaction: an image or a Stripe call that fails leaves the product as it was
            # (a new one is not created without the image the developer chose).
            with transaction.atomic():
                if product is None:
                    saved = store_services.product_create(project=project, mode=mode, actor=actor,
                                                          **form.product_fields())
                else:
                    saved = store_services.product_update(product=product, actor=actor, **form.product_fields())
                if data["image"] is not None:
                    saved = store_services.product_set_image(product=saved, upload=data["image"], actor=actor)
                elif data.get("remove_image"):
                    saved = store_services.product_set_image(product=saved, upload=None, actor=actor)
        except ApiError as exc:
            form.add_error(ProductForm.ERROR_FIELDS.get(exc.code), exc.message)
        else:
            messages.success(request, f"Product {saved.display_name} ({saved.name}) "
                                      f"{'created' if product is None else 'saved'} in {mode} mode.")
            return redirect(project_url(project, mode, "products"))
    if product is not None:
        product.image_src = image_src(product)
    return render(request, "dashboard/product_form.html", {
        "project": project, "mode": mode, "product": product, "form": form,
        "connected": active_connection(project_id=project.id, mode=mode) is not None,
    }, status=400 if form.errors else 200)


@project_page
@require_POST
def product_archive(request: HttpRequest, *, project: Project, mode: str, product_id: str) -> HttpResponse:
    """Take a product off sale, or (``active=1``) put it back."""
    product = _product(project, mode, product_id)
    actor = Actor.developer(request.user)
    back_on_sale = request.POST.get("active") == "1"
    try:
        if back_on_sale:
            store_services.product_update(product=product, active=True, actor=actor)
        else:
            store_services.product_archive(product=product, actor=actor)
    except ApiError as exc:
        messages.error(request, f"{product.display_name} was not changed: {exc.message}")
    else:
        messages.success(request, f"{product.display_name} is on sale again." if back_on_sale else
                         f"{product.display_name} is archived: no longer listed or sold; its orders stay.")
    return redirect(project_url(project, mode, "product_edit", product.public_id))


@project_page
def product_delete(request: HttpRequest, *, project: Project, mode: str, product_id: str) -> HttpResponse:
    """Delete a product for good, after typing its id; only one that was never in a checkout."""
    product = _product(project, mode, product_id)
    form = ProductDeleteForm(request.POST or None, product=product)
    if request.method == "POST" and form.is_valid():
        try:
            store_services.product_delete(product=product, actor=Actor.developer(request.user))
        except ApiError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Product {product.display_name} ({product.name}) deleted.")
            return redirect(project_url(project, mode, "products"))
    return render(request, "dashboard/product_delete.html",
                  {"project": project, "mode": mode, "product": product, "form": form},
                  status=400 if form.errors else 200)
