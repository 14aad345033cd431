"""Writes for the catalogue. A product is a Stripe Product with one current one-off Price on
the project's connected account; Stripe is called inside the transaction that saves the
product, so a Stripe failure leaves nothing half-saved (as for tiers)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from billing import stripe_api
from billing.models import StripeConnection
from billing.selectors import active_connection
from dreamapi.errors import ApiError, Conflict
from tenants.audit import SYSTEM, Actor, audit_changes, audit_record
from tenants.models import Project

from ..models import Asset, OrderLine, Product, ReservationLine
from .assets import asset_create, asset_delete
from .inventory import stock_set

PRODUCT_FIELDS = ("name", "display_name", "description", "price_cents", "currency", "inventory", "features",
                  "active", "order", "restock_on_refund")
MAX_FEATURES = 20


def asset_url(asset: Asset | None) -> str | None:
    """The public address of an image (served by ``GET /api/assets/{key}``)."""
    return f"{settings.SITE_URL}/api/assets/{asset.key}" if asset is not None else None


def require_connection(*, project_id: int, mode: str) -> StripeConnection:
    connection = active_connection(project_id=project_id, mode=mode)
    if connection is None:
        raise Conflict(f"This project has no Stripe account connected in {mode} mode; connect one in the dashboard.",
                       code="stripe_not_connected")
    return connection


def _validate(product: Product) -> None:
    features = product.features
    if (not isinstance(features, list) or len(features) > MAX_FEATURES
            or not all(isinstance(f, str) and 0 < len(f) <= 200 for f in features)):
        raise ApiError(f"features must be a list of at most {MAX_FEATURES} strings of 1–200 characters.",
                       code="invalid_features")
    product.currency = (product.currency or "").lower()
    if len(product.currency) != 3 or not product.currency.isalpha() or not product.currency.isascii():
        raise ApiError("currency must be a 3-letter ISO code such as 'usd'.", code="invalid_currency")
    if product.price_cents < 1:
        raise ApiError("price must be at least 1 (minor units): Checkout cannot sell a free product.",
                       code="invalid_price")
    try:
        product.full_clean(exclude=["project", "image"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        raise ApiError(message, code="invalid_product") from exc


def product_sync_to_stripe(*, product: Product, connection: StripeConnection, price_changed: bool = False,
                           active_changed: bool = False) -> None:
    """Make the connected account's Stripe Product and Price match ``product`` (which is saved).

    A product first synced, or synced after another account was connected, gets a new Stripe
    Product and Price there. A changed price or currency makes a new Price (Stripe prices are
    immutable) and archives the old one. Idempotency keys come from local ids and the price
    version, so a retry after a failure reuses what Stripe already made.
    """
    account, mode = connection.account_id, product.mode
    images = [url] if (url := asset_url(product.image)) else []
    metadata = {"dreamapi_project": product.project.public_id, "dreamapi_product": product.public_id}
    old_price = product.stripe_price_id if product.stripe_account_id == account else ""
    if not product.stripe_product_id or product.stripe_account_id != account:
        product.stripe_product_id = stripe_api.store_product_create(
            mode=mode, account=account, name=product.display_name, description=product.description, images=images,
            active=product.active, metadata=metadata,
            idempotency_key=f"store-product-{product.project_id}-{mode}-{product.name}-{account}",
        )
        product.stripe_account_id = account
    else:
        stripe_api.store_product_update(mode=mode, account=account, product=product.stripe_product_id,
                                        name=product.display_name, description=product.description, images=images,
                                        active=product.active)
    if not old_price or price_changed:
        product.price_version += 1
        product.stripe_price_id = stripe_api.price_create(
            mode=mode, account=account, product=product.stripe_product_id, amount_cents=product.price_cents,
            currency=product.currency, interval=None, metadata=metadata,
            idempotency_key=(f"store-price-{product.stripe_product_id}-v{product.price_version}-"
                             f"{product.price_cents}-{product.currency}"),
        )
        if old_price:
            stripe_api.price_archive(mode=mode, account=account, price=old_price)
        if not product.active:
            stripe_api.price_set_active(mode=mode, account=account, price=product.stripe_price_id, active=False)
    elif active_changed:
        stripe_api.price_set_active(mode=mode, account=account, price=product.stripe_price_id, active=product.active)
    product.save(update_fields=["stripe_account_id", "stripe_product_id", "stripe_price_id", "price_version",
                                "updated_at"])


def _product_values(product: Product) -> dict[str, Any]:
    """What the audit log compares before and after a change."""
    return {name: getattr(product, name) for name in PRODUCT_FIELDS}


def product_create(*, project: Project, mode: str, actor: Actor = SYSTEM, **fields: Any) -> Product:
    connection = require_connection(project_id=project.id, mode=mode)
    product = Product(project=project, mode=mode, **{k: v for k, v in fields.items() if k in PRODUCT_FIELDS})
    if not product.display_name:
        product.display_name = product.name
    _validate(product)
    try:
        with transaction.atomic():
            product.save()
            product_sync_to_stripe(product=product, connection=connection)
            audit_record(project=project, actor=actor, action="product.create", target=product.name, mode=mode,
                         changes=audit_changes({}, _product_values(product)))
    except IntegrityError as exc:
        raise Conflict(f"A product '{product.name}' already exists in {mode} mode.", code="product_exists") from exc
    return product


def product_update(*, product: Product, actor: Actor = SYSTEM, **fields: Any) -> Product:
    """Change a product's details (not its name). ``inventory`` sets the units on hand and
    is refused below what open checkouts hold."""
    return _product_change(product=product, actor=actor, action="product.update", fields=fields)


def _product_change(*, product: Product, actor: Actor, action: str, fields: dict[str, Any]) -> Product:
    connection = require_connection(project_id=product.project_id, mode=product.mode)
    with transaction.atomic():
        product = Product.objects.select_for_update(of=("self",)).select_related("project", "image").get(pk=product.pk)
        values = _product_values(product)
        before = (product.price_cents, product.currency.lower(), product.active)
        for name, value in fields.items():
            if name in PRODUCT_FIELDS and name not in ("name", "inventory"):
                setattr(product, name, value)
        _validate(product)
        if "inventory" in fields:
            if not stock_set(product_id=product.pk, inventory=fields["inventory"]):
                raise Conflict(f"Open checkouts hold {product.reserved} units of '{product.name}'; inventory cannot "
                               f"go below that until they are paid or expire.", code="inventory_below_reserved")
            product.inventory = fields["inventory"]
        product.save(update_fields=[f for f in PRODUCT_FIELDS if f not in ("name", "inventory")] + ["updated_at"])
        product_sync_to_stripe(product=product, connection=connection,
                               price_changed=before[:2] != (product.price_cents, product.currency),
                               active_changed=before[2] != product.active)
        changes = audit_changes(values, _product_values(product))
        if changes:
            audit_record(project=product.project, actor=actor, action=action, target=product.name,
                         mode=product.mode, changes=changes)
    return product


def product_archive(*, product: Product, actor: Actor = SYSTEM) -> Product:
    """Take a product off sale (``DELETE /api/products/{id}``). Open checkouts can still be paid;
    its orders and counters stay. ``product_update(active=True)`` puts it back."""
    return _product_change(product=product, actor=actor, action="product.archive", fields={"active": False})


def product_delete(*, product: Product, actor: Actor = SYSTEM) -> None:
    """Remove a product for good: only one that was never in a checkout (else archive it)."""
    with transaction.atomic():
        if (ReservationLine.objects.filter(product=product).exists()
                or OrderLine.objects.filter(product=product).exists()):
            raise Conflict("This product has been in checkouts or orders; archive it instead.", code="product_in_use")
        audit_record(project=product.project, actor=actor, action="product.delete", target=product.name,
                     mode=product.mode, changes={name: [value, None] for name, value in _product_values(product).items()})
        image = product.image
        product.delete()
        if image is not None:
            asset_delete(asset=image)
    connection = active_connection(project_id=product.project_id, mode=product.mode)
    if connection is not None and product.stripe_price_id and product.stripe_account_id == connection.account_id:
        stripe_api.price_archive(mode=product.mode, account=connection.account_id, price=product.stripe_price_id)


def product_set_image(*, product: Product, upload: UploadedFile | None, actor: Actor = SYSTEM) -> Product:
    """Give the product a new image (``None`` removes it); the old file is deleted."""
    connection = require_connection(project_id=product.project_id, mode=product.mode)
    asset = asset_create(project=product.project, mode=product.mode, upload=upload) if upload is not None else None
    try:
        with transaction.atomic():
            product = Product.objects.select_for_update(of=("self",)).select_related("project", "image").get(pk=product.pk)
            old = product.image
            product.image = asset
            product.save(update_fields=["image", "updated_at"])
            product_sync_to_stripe(product=product, connection=connection)
            if old is not None or asset is not None:
                audit_record(project=product.project, actor=actor, action="product.image", target=product.name,
                             mode=product.mode, changes={"image": [old.key if old else None,
                                                                   asset.key if asset else None]})
            if old is not None:
                asset_delete(asset=old)
    except BaseException:
        if asset is not None:
            asset_delete(asset=asset)
        raise
    return product
