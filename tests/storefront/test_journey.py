"""The whole store over HTTP: a product made by script with its image, listed in a browser
with the publishable key, bought through Checkout on the stand-in's page, visible as an order;
a cart left to expire gives its stock back."""

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from storefront.models import Product

from .conftest import connect_account, image_bytes, pay, stripe_post, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_from_catalogue_to_order_and_an_expired_cart_back_to_stock(alice, standin, live_server, settings):
    settings.SITE_URL = live_server.url
    account = connect_account(alice, standin)
    alice.project.allowed_origins = ["https://shop.example"]
    alice.project.save()
    shop = alice.api()

    created = shop.post("/api/products", {"name": "poster", "displayName": "Poster", "price": 1800, "inventory": 4,
                                          "features": ["A2", "Matte"]}, format="json").json()["product"]
    image = SimpleUploadedFile("poster.jpg", image_bytes("JPEG", size=(120, 80)), content_type="image/jpeg")
    with_image = shop.post(f"/api/products/{created['id']}/image", {"image": image}, format="multipart")
    assert with_image.status_code == 200, with_image.content

    browser = {"Authorization": f"Bearer {alice.pk}", "Origin": "https://shop.example"}
    listed = requests.get(f"{live_server.url}/api/products", headers=browser, timeout=10)
    assert listed.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    [poster] = listed.json()["products"]
    assert (poster["displayName"], poster["inventory"], poster["soldOut"]) == ("Poster", 4, False)
    picture = requests.get(poster["imageUrl"], timeout=10)
    assert picture.status_code == 200 and picture.headers["Content-Type"] == "image/jpeg"

    bought = requests.post(f"{live_server.url}/api/cart/checkout", headers=browser, timeout=30, json={
        "items": [{"priceId": poster["priceId"], "quantity": 3}], "email": "fan@example.com", "name": "Fan",
        "successUrl": "https://shop.example/thanks?session={CHECKOUT_SESSION_ID}",
        "cancelUrl": "https://shop.example/cart"}).json()
    paid = pay(bought["url"])
    assert paid.status_code == 303
    assert paid.headers["Location"] == f"https://shop.example/thanks?session={bought['sessionId']}"

    orders = wait_until(lambda: shop.get("/api/orders").json()["orders"])
    [order] = orders
    assert (order["status"], order["email"], order["customer"], order["amount"], order["currency"]) == (
        "paid", "fan@example.com", "Fan", 5400, "usd")
    assert order["sessionId"] == bought["sessionId"] and order["paymentId"].startswith("pi_")
    assert order["items"] == [{"productId": created["id"], "priceId": poster["priceId"], "name": "Poster",
                               "quantity": 3, "unitAmount": 1800, "amount": 5400}]
    product = shop.get(f"/api/products/{created['id']}").json()["product"]
    assert (product["stock"], product["reserved"], product["sold"], product["inventory"]) == (1, 0, 3, 1)

    left = requests.post(f"{live_server.url}/api/cart/checkout", headers=browser, timeout=30,
                         json={"items": [{"priceId": poster["priceId"], "quantity": 1}]}).json()
    assert requests.get(f"{live_server.url}/api/products", headers=browser, timeout=10).json()[
        "products"][0]["soldOut"] is True
    stripe_post(standin, account, f"/v1/checkout/sessions/{left['sessionId']}/expire")
    wait_until(lambda: Product.objects.get(public_id=created["id"]).reserved == 0)
    assert requests.get(f"{live_server.url}/api/products", headers=browser, timeout=10).json()[
        "products"][0]["inventory"] == 1
