"""Store writes, by subdomain: the catalogue and its images, cart checkout and stock holds,
orders and refunds. Import from here."""

from .assets import asset_create, asset_delete, image_reencode
from .cart import CartItem, cart_checkout_start
from .orders import (
    on_charge_refunded,
    on_checkout_session_event,
    order_apply_charge,
    reservation_apply_session,
    reservation_complete,
    reservation_release,
    reservations_sweep,
)
from .products import (
    asset_url,
    product_archive,
    product_create,
    product_delete,
    product_set_image,
    product_sync_to_stripe,
    product_update,
)

__all__ = [
    "CartItem",
    "asset_create",
    "asset_delete",
    "asset_url",
    "cart_checkout_start",
    "image_reencode",
    "on_charge_refunded",
    "on_checkout_session_event",
    "order_apply_charge",
    "product_archive",
    "product_create",
    "product_delete",
    "product_set_image",
    "product_sync_to_stripe",
    "product_update",
    "reservation_apply_session",
    "reservation_complete",
    "reservation_release",
    "reservations_sweep",
]
