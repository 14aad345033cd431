"""The products pages: the list with stock and sales, creating and editing a product with its
image (prices typed in the currency's units), archiving, deleting one never sold, the audit
log, and what another developer gets (404, nothing changed)."""

import os
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from billing import stripe_api
from storefront.models import Asset, Product
from tenants.models import AuditEvent

# Fixtures: the stand-in (quiet: no webhooks), images in a fresh folder per test.
from tests.billing.conftest import standin_server  # noqa: F401
from tests.storefront.conftest import (  # noqa: F401
    assets_storage,
    connect_account,
    image_bytes,
    quiet_standin,
    stripe_get,
)

from .conftest import make_order, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(alice, quiet_standin, client):  # noqa: F811
    """Alice logged in, her project connected to a stand-in Stripe account in test mode."""
    alice.account = connect_account(alice, quiet_standin)
    client.force_login(alice.user)
    alice.browser = client
    return alice


def url(tenant, suffix="", mode="test") -> str:
    return f"/dashboard/projects/{tenant.project.public_id}/products/{suffix}?mode={mode}"


def form(**fields) -> dict:
    return {"name": "poster", "display_name": "Poster A2", "description": "Matte.", "price": "12.50",
            "currency": "usd", "inventory": "5", "features": "A2\nMatte", "order": "0", **fields}


def png(name="poster.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("PNG", size=(60, 40)), content_type="image/png")


def create(tenant, **fields):
    return tenant.browser.post(url(tenant, "new/"), form(**fields))


# --- creating and listing ----------------------------------------------------------------------------


def test_a_product_made_on_the_page_is_a_stripe_product_with_its_image_and_is_listed(shop, quiet_standin):  # noqa: F811
    response = create(shop, image=png(), restock_on_refund="on")
    assert response.status_code == 302, response.content.decode()[:2000]
    product = Product.objects.get(project=shop.project, name="poster")
    assert (product.display_name, product.price_cents, product.currency, product.inventory) == (
        "Poster A2", 1250, "usd", 5)
    assert product.features == ["A2", "Matte"] and product.restock_on_refund and product.active
    assert product.image.content_type == "image/png"
    price = stripe_get(quiet_standin, shop.account, f"/v1/prices/{product.stripe_price_id}")
    assert (price["unit_amount"], price["currency"]) == (1250, "usd")
    page = shop.browser.get(response["Location"]).content.decode()
    assert "Product Poster A2 (poster) created in test mode." in page
    assert "Poster A2" in page and "$12.50" in page and f"/api/assets/{product.image.key}" in page


@pytest.mark.parametrize("price,currency,minor", [
    ("12.50", "usd", 1250), ("12.5", "eur", 1250), ("500", "jpy", 500), ("5.12", "kwd", 5120), ("19", "gbp", 1900),
])
def test_a_price_is_typed_in_the_currencys_units(shop, price, currency, minor):
    assert create(shop, price=price, currency=currency).status_code == 302
    assert Product.objects.get(name="poster").price_cents == minor


@pytest.mark.parametrize("price,currency,message", [
    ("12.345", "usd", "USD has 2 decimals; 12.345 has more."),
    ("5.5", "jpy", "JPY has no minor unit: use a whole number."),
    ("0", "usd", "A product needs a price"),
    ("1000000", "usd", "Stripe charges at most $999,999.99."),
    ("abc", "usd", "Enter a number."),
])
def test_a_price_that_is_not_chargeable_as_typed_is_refused_on_its_field(shop, price, currency, message):
    response = create(shop, price=price, currency=currency)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'name="price"' in response.content.decode() and not Product.objects.exists()


def test_the_edit_page_shows_the_price_as_typed_and_the_stock(shop):
    product = make_product(shop, "poster", 1250, inventory=5)
    page = shop.browser.get(url(shop, f"{product.public_id}/")).content.decode()
    assert 'value="12.50"' in page and 'name="inventory_was" value="5"' in page
    assert 'name="name"' in page and "disabled" in page.split('name="name"')[1].split(">")[0]


def test_saving_without_touching_the_stock_keeps_sales_made_since_the_page_was_drawn(shop):
    create(shop)
    product = Product.objects.get(name="poster")
    # The page was drawn with 5 in stock; 2 sold meanwhile.
    Product.objects.filter(pk=product.pk).update(inventory=3, sold=2)
    edit = url(shop, f"{product.public_id}/")
    assert shop.browser.post(edit, form(price="14", inventory="5", inventory_was="5")).status_code == 302
    product.refresh_from_db()
    assert (product.price_cents, product.inventory) == (1400, 3)
    assert shop.browser.post(edit, form(price="14", inventory="20", inventory_was="3")).status_code == 302
    product.refresh_from_db()
    assert product.inventory == 20
    assert shop.browser.post(edit, form(price="14", inventory="", inventory_was="20")).status_code == 302
    product.refresh_from_db()
    assert product.inventory is None


def test_stock_below_what_open_checkouts_hold_is_refused_on_its_field(shop):
    create(shop)
    product = Product.objects.get(name="poster")
    Product.objects.filter(pk=product.pk).update(reserved=4)
    response = shop.browser.post(url(shop, f"{product.public_id}/"), form(inventory="2", inventory_was="5"))
    assert response.status_code == 400 and "Open checkouts hold 4 units" in response.content.decode()
    product.refresh_from_db()
    assert product.inventory == 5


def test_a_taken_id_is_refused_on_its_field(shop):
    create(shop)
    response = create(shop, display_name="Another")
    assert response.status_code == 400 and "A product &#x27;poster&#x27; already exists" in response.content.decode()
    assert Product.objects.get(name="poster").display_name == "Poster A2"


def test_stripe_failing_shows_in_the_form_and_nothing_is_saved(shop, settings):
    create(shop)
    product = Product.objects.get(name="poster")
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    stripe_api.reset_clients()
    failed = create(shop, name="lamp", image=png())
    assert failed.status_code == 400
    page = failed.content.decode()
    assert 'class="form-errors"' in page and "Stripe" in page
    assert not Product.objects.filter(name="lamp").exists() and Asset.objects.count() == 0
    changed = shop.browser.post(url(shop, f"{product.public_id}/"), form(price="99", display_name="Changed"))
    assert changed.status_code == 400
    product.refresh_from_db()
    assert (product.price_cents, product.display_name) == (1250, "Poster A2")
    assert not AuditEvent.objects.filter(action="product.update").exists()


@pytest.mark.parametrize("content", [b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", b"<html>hi</html>", b""])
def test_a_file_that_is_not_an_image_is_refused_on_its_field_and_no_product_is_made(shop, content):
    upload = SimpleUploadedFile("poster.png", content, content_type="image/png")
    response = create(shop, image=upload)
    assert response.status_code == 400
    page = response.content.decode()
    assert "not a PNG, JPEG, WebP or GIF" in page or "The file is empty" in page or "submitted file is empty" in page
    assert not Product.objects.exists() and not Asset.objects.exists()


def test_an_image_is_replaced_or_removed_from_the_edit_page(shop, assets_storage):  # noqa: F811
    create(shop, image=png())
    product = Product.objects.get(name="poster")
    first = product.image.key
    edit = url(shop, f"{product.public_id}/")
    jpeg = SimpleUploadedFile("b.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    assert shop.browser.post(edit, form(image=jpeg, inventory_was="5")).status_code == 302
    product.refresh_from_db()
    assert product.image.key != first and product.image.content_type == "image/jpeg"
    assert "Remove the current image" in shop.browser.get(edit).content.decode()
    assert shop.browser.post(edit, form(remove_image="on", inventory_was="5")).status_code == 302
    product.refresh_from_db()
    assert product.image is None and not Asset.objects.exists()
    assert "Remove the current image" not in shop.browser.get(edit).content.decode()


def test_without_stripe_the_list_says_to_connect_and_creating_is_refused(alice, client, quiet_standin):  # noqa: F811
    client.force_login(alice.user)
    page = client.get(url(alice)).content.decode()
    assert "Connect a Stripe account in test mode" in page and "Add product" not in page
    response = client.post(url(alice, "new/"), form())
    assert response.status_code == 400 and "no Stripe account connected in test mode" in response.content.decode()
    assert not Product.objects.exists()


# --- the list --------------------------------------------------------------------------------------------


def test_the_list_shows_stock_reserved_sold_orders_and_revenue(shop):
    mug = make_product(shop, "mug", 1200, inventory=10)
    Product.objects.filter(pk=mug.pk).update(reserved=2, sold=5, inventory=8)
    make_order(shop, [(mug, 2)], paid_at=mug.created_at)
    make_order(shop, [(mug, 3)], paid_at=mug.created_at, refunded=1200)
    make_product(shop, "sticker", 300, currency="jpy")
    row = shop.browser.get(url(shop)).content.decode().split("Mug</a>")[1].split("</tr>")[0]
    cells = [c.split(">", 1)[1].split("<")[0] for c in row.split('<td data-label=')[1:]]
    assert cells == ["$12.00", "8", "2", "6", "5", "2", "$60.00"]  # revenue: both orders' lines, before refunds
    page = shop.browser.get(url(shop)).content.decode()
    assert "¥300" in page and "unlimited" in page


def test_the_list_shows_products_on_sale_archived_or_all(shop):
    make_product(shop, "mug", 1200)
    make_product(shop, "old-mug", 1000, active=False)
    make_product(shop, "live-mug", 1000, mode="live")
    on_sale = shop.browser.get(url(shop)).content.decode()
    assert "Mug</a>" in on_sale and "Old-Mug" not in on_sale and "Live-Mug" not in on_sale
    archived = shop.browser.get(url(shop) + "&status=archived").content.decode()
    assert "Old-Mug" in archived and "Mug</a>" not in archived.replace("Old-Mug</a>", "")
    everything = shop.browser.get(url(shop) + "&status=all").content.decode()
    assert "Old-Mug" in everything and "Mug</a>" in everything
    assert "Live-Mug" in shop.browser.get(url(shop, mode="live")).content.decode()


# --- archive and delete ------------------------------------------------------------------------------------


def test_archive_takes_a_product_off_sale_and_it_can_go_back(shop, quiet_standin):  # noqa: F811
    create(shop)
    product = Product.objects.get(name="poster")
    archive = url(shop, f"{product.public_id}/archive/")
    followed = shop.browser.post(archive, follow=True).content.decode()
    assert "Poster A2 is archived" in followed and "Put back on sale" in followed
    product.refresh_from_db()
    assert product.active is False
    assert stripe_get(quiet_standin, shop.account, f"/v1/prices/{product.stripe_price_id}")["active"] is False
    assert shop.browser.post(archive, {"active": "1"}).status_code == 302
    product.refresh_from_db()
    assert product.active is True
    assert shop.browser.get(archive).status_code == 405


def test_a_product_never_sold_is_deleted_after_typing_its_id(shop):
    create(shop, image=png())
    product = Product.objects.get(name="poster")
    delete = url(shop, f"{product.public_id}/delete/")
    assert "Type the product&#x27;s id to delete it" in shop.browser.get(delete).content.decode()
    wrong = shop.browser.post(delete, {"confirm_name": "Poster A2"})
    assert wrong.status_code == 400 and "Type poster exactly." in wrong.content.decode()
    assert Product.objects.filter(pk=product.pk).exists()
    assert shop.browser.post(delete, {"confirm_name": "poster"}).status_code == 302
    assert not Product.objects.filter(pk=product.pk).exists() and not Asset.objects.exists()


def test_a_product_with_orders_cannot_be_deleted_only_archived(shop):
    mug = make_product(shop, "mug", 1200)
    make_order(shop, [(mug, 1)], paid_at=mug.created_at)
    edit = shop.browser.get(url(shop, f"{mug.public_id}/")).content.decode()
    assert "cannot be deleted" in edit and "Delete for good" not in edit
    page = shop.browser.get(url(shop, f"{mug.public_id}/delete/")).content.decode()
    assert "has 1 order, so it cannot be deleted" in page and 'name="confirm_name"' not in page
    refused = shop.browser.post(url(shop, f"{mug.public_id}/delete/"), {"confirm_name": "mug"})
    assert refused.status_code == 400 and "cannot be deleted" in refused.content.decode()
    assert Product.objects.filter(pk=mug.pk).exists()


def test_a_product_once_in_a_checkout_is_refused_with_the_services_reason(shop):
    from storefront.models import Reservation, ReservationLine

    mug = make_product(shop, "mug", 1200)
    reservation = Reservation.objects.create(project=shop.project, mode="test", stripe_account_id="acct_fixture",
                                             expires_at=mug.created_at, status="released")
    ReservationLine.objects.create(reservation=reservation, product=mug, quantity=1, unit_amount=1200,
                                   currency="usd", stripe_price_id=mug.stripe_price_id)
    refused = shop.browser.post(url(shop, f"{mug.public_id}/delete/"), {"confirm_name": "mug"})
    assert refused.status_code == 400
    assert "This product has been in checkouts or orders; archive it instead." in refused.content.decode()
    assert Product.objects.filter(pk=mug.pk).exists()


# --- the audit log ------------------------------------------------------------------------------------------


def test_every_change_made_on_the_pages_is_audited_with_the_developer(shop):
    create(shop)
    product = Product.objects.get(name="poster")
    shop.browser.post(url(shop, f"{product.public_id}/"), form(price="14", image=png(), inventory_was="5"))
    shop.browser.post(url(shop, f"{product.public_id}/archive/"))
    create(shop, name="spare")
    spare = Product.objects.get(name="spare")
    shop.browser.post(url(shop, f"{spare.public_id}/delete/"), {"confirm_name": "spare"})
    events = AuditEvent.objects.filter(action__startswith="product.").order_by("id")
    assert [(e.action, e.target) for e in events] == [
        ("product.create", "poster"), ("product.update", "poster"), ("product.image", "poster"),
        ("product.archive", "poster"), ("product.create", "spare"), ("product.delete", "spare")]
    assert {(e.actor_kind, e.actor_user_id, e.actor_label) for e in events} == {
        ("developer", shop.user.pk, "alice@example.com")}
    assert events[1].changes == {"price_cents": [1250, 1400]}
    log = shop.browser.get(f"/dashboard/projects/{shop.project.public_id}/audit/").content.decode()
    assert "product.archive" in log and "price_cents" in log


# --- outsiders and modes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method,suffix,data", [
    ("get", "products/", None),
    ("get", "products/new/", None),
    ("post", "products/new/", {"name": "intruder", "price": "1", "currency": "usd", "order": "0"}),
    ("get", "products/{product}/", None),
    ("post", "products/{product}/", {"price": "1", "currency": "usd", "order": "0", "display_name": "Mine"}),
    ("post", "products/{product}/archive/", {}),
    ("get", "products/{product}/delete/", None),
    ("post", "products/{product}/delete/", {"confirm_name": "mug"}),
    ("get", "orders/", None),
    ("get", "orders/export.csv", None),
    ("get", "orders/{order}/", None),
])
def test_another_developer_gets_404_on_every_store_page_and_changes_nothing(client, alice, bob, method, suffix, data):
    mug = make_product(alice, "mug", 1200)
    order = make_order(alice, [(mug, 1)], paid_at=mug.created_at)
    client.force_login(bob.user)
    path = suffix.format(product=mug.public_id, order=order.public_id)
    response = getattr(client, method)(f"/dashboard/projects/{alice.project.public_id}/{path}?mode=test", data or {})
    assert response.status_code == 404
    # Through bob's own project, alice's ids are unknown too.
    own = getattr(client, method)(f"/dashboard/projects/{bob.project.public_id}/{path}?mode=test", data or {})
    assert own.status_code in (200, 302, 400) if "{" not in suffix else own.status_code == 404
    mug.refresh_from_db()
    assert (mug.display_name, mug.price_cents, mug.active) == ("Mug", 1200, True)
    assert not Product.objects.filter(name="intruder", project=alice.project).exists()
    assert not AuditEvent.objects.filter(project=alice.project, action__startswith="product.").exists()


def test_store_pages_need_a_login(client, alice):
    response = client.get(f"/dashboard/projects/{alice.project.public_id}/products/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_product_of_another_mode_is_not_found(shop):
    live = make_product(shop, "lamp", 5000, mode="live")
    assert shop.browser.get(url(shop, f"{live.public_id}/", mode="test")).status_code == 404
    assert shop.browser.get(url(shop, f"{live.public_id}/", mode="live")).status_code == 200


def test_decimal_conversions_are_exact():
    from dashboard.formatting import format_money, major_units, minor_units

    assert major_units(1250, "usd") == Decimal("12.50") and major_units(500, "jpy") == Decimal("500")
    assert minor_units(Decimal("0.1") + Decimal("0.2"), "usd") == 30
    assert format_money(5120, "kwd") == "5.120 KWD" and format_money(99, "bhd") == "0.099 BHD"


def test_a_large_image_within_the_limit_is_accepted_from_the_page(shop, settings):
    """The dashboard is not under the API's 1 MiB body limit: a 2 MB image goes through."""
    from PIL import Image

    noise = Image.frombytes("RGB", (1000, 800), os.urandom(1000 * 800 * 3))
    out = BytesIO()
    noise.save(out, "PNG")
    assert 1024 * 1024 < len(out.getvalue()) < 5 * 1024 * 1024
    response = create(shop, image=SimpleUploadedFile("big.png", out.getvalue(), content_type="image/png"))
    assert response.status_code == 302, response.content.decode()[:500]
