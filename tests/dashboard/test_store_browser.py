"""The store's pages in headless Chromium at 1280 px and 390 px: a product made on the page with
an image (previewed before it is uploaded) is listed with its thumbnail; a cart bought through
the API and the stand-in's Checkout page shows up on the orders page, in its totals, its detail
page and the CSV download; nothing is wider than the screen.

Set DASHBOARD_SCREENSHOTS=/some/dir to keep a full-page screenshot of each page."""

import csv
import io
import os
import shutil

import pytest
import requests

from tests.billing.conftest import pay, standin, standin_server, wait_until  # noqa: F401
from tests.storefront.conftest import assets_storage, connect_account, image_bytes  # noqa: F401

from .test_browser import CHROMIUM, chromium_page, look, metric, playwright_api, visit

expect = playwright_api.expect

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("chromium") is None and not os.path.exists(CHROMIUM),
                       reason="Chromium is not installed"),
]


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def store_page(request, live_server, alice, standin):  # noqa: F811
    """Chromium signed in as alice, whose project is connected to a stand-in account. (Everything
    that touches the database happens before the browser starts: Playwright's event loop forbids
    database calls in the test while it runs.)"""
    connect_account(alice, standin)
    with chromium_page(live_server, alice.user, request.param) as page:
        yield page


def cells(row) -> dict[str, str]:
    """A table row's cells by their data-label (what a phone shows above each value)."""
    return {td.get_attribute("data-label"): td.inner_text().strip() for td in row.locator("td[data-label]").all()}


def test_create_a_product_with_an_image_sell_it_and_export_the_orders(store_page, live_server, alice, tmp_path):
    page = store_page
    base = f"{live_server.url}/dashboard/projects/{alice.project.public_id}"
    visit(page, f"{base}/products/?mode=test", "products-empty")
    expect(page.get_by_role("heading", name="0 products on sale")).to_be_visible()
    page.get_by_role("link", name="Add product").click()

    picture = tmp_path / "poster.png"
    picture.write_bytes(image_bytes("PNG", size=(120, 90)))
    page.get_by_label("Id").fill("poster")
    page.get_by_label("Name shown to buyers").fill("Poster A2")
    page.get_by_label("Description").fill("Printed on matte paper.")
    page.get_by_label("Price").fill("18.00")
    page.get_by_label("Units in stock").fill("4")
    page.get_by_label("Features").fill("A2\nMatte")
    page.get_by_label("Image").set_input_files(str(picture))
    preview = page.locator("#image-preview")
    expect(preview).to_be_visible()
    assert preview.get_attribute("src").startswith("blob:")
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 120
    look(page, "product-new")
    page.get_by_role("button", name="Create product").click()

    expect(page.get_by_role("status").first).to_contain_text("Product Poster A2 (poster) created in test mode.")
    row = page.locator("tbody tr", has_text="Poster A2")
    expect(row).to_have_count(1)
    assert cells(row) == {"Price": "$18.00", "In stock": "4", "Reserved": "0", "Available": "4", "Sold": "0",
                          "Orders": "0", "Revenue": "$0.00"}
    thumbnail = row.locator("img.thumb")
    expect(thumbnail).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    look(page, "products")
    row.get_by_role("link", name="Poster A2").click()
    expect(page.get_by_role("heading", name="Edit Poster A2")).to_be_visible()
    expect(metric(page, "In stock")).to_contain_text("4")
    expect(page.get_by_label("Price")).to_have_value("18.00")
    expect(page.locator("#image-preview")).to_be_visible()
    expect(page.get_by_role("button", name="Archive product")).to_be_visible()
    look(page, "product-edit")

    # A buyer's cart, through the API and the stand-in's Checkout page.
    shop_key = {"Authorization": f"Bearer {alice.sk}"}
    [poster] = requests.get(f"{live_server.url}/api/products", headers=shop_key, timeout=10).json()["products"]
    assert poster["imageUrl"].startswith(f"{live_server.url}/api/assets/")
    cart = requests.post(f"{live_server.url}/api/cart/checkout", headers=shop_key, timeout=30, json={
        "items": [{"priceId": poster["priceId"], "quantity": 3}], "email": "fan@example.com", "name": "Fan Fair",
        "successUrl": "https://shop.example/thanks", "cancelUrl": "https://shop.example/cart"}).json()
    assert pay(cart["url"]).status_code == 303
    wait_until(lambda: requests.get(f"{live_server.url}/api/orders", headers=shop_key, timeout=10).json()["orders"])

    visit(page, f"{base}/orders/?mode=test", "orders")
    expect(page.get_by_role("heading", name="1 order", exact=True)).to_be_visible()
    order_row = page.locator("tbody tr", has_text="fan@example.com")
    expect(order_row).to_contain_text("3 × Poster A2")
    expect(order_row).to_contain_text("$54.00")
    expect(order_row).to_contain_text("Paid")
    totals = page.locator("table", has=page.locator("th", has_text="Gross"))
    assert cells(totals.locator("tbody tr")) == {"Orders": "1", "Gross": "$54.00", "Refunded": "$0.00",
                                                 "Net": "$54.00"}

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"{alice.project.public_id}-test-orders.csv"
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert [(r["email"], r["name"], r["items"], r["amount"], r["refunded"], r["currency"], r["status"])
            for r in rows] == [("fan@example.com", "Fan Fair", "3 x Poster A2", "5400", "0", "usd", "paid")]
    assert rows[0]["checkout_session"] == cart["sessionId"] and rows[0]["payment_intent"].startswith("pi_")

    order_row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Order")).to_be_visible()
    expect(metric(page, "Paid")).to_contain_text("$54.00")
    expect(metric(page, "Net")).to_contain_text("$54.00")
    expect(page.locator("tbody tr", has_text="Poster A2")).to_contain_text("$18.00")
    look(page, "order")

    visit(page, f"{base}/products/?mode=test", "products-sold")
    assert cells(page.locator("tbody tr", has_text="Poster A2")) == {
        "Price": "$18.00", "In stock": "1", "Reserved": "0", "Available": "1", "Sold": "3", "Orders": "1",
        "Revenue": "$54.00"}
    visit(page, f"{base}/?mode=test", "overview-store")
    expect(metric(page, "Revenue this month")).to_contain_text("$54.00")
    expect(metric(page, "Orders this month")).to_contain_text("1")
