"""POST /api/cart/checkout: a guest Checkout Session in payment mode, after the cart's stock
is held; every refusal is a clear 4xx that holds nothing."""

import pytest
from django.utils import timezone

from storefront.models import Product, Reservation

from .conftest import connect_account, create_product, stripe_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(shop):
    shop.project.allowed_origins = ["https://shop.example"]
    shop.project.save()
    return {"mug": create_product(shop, name="mug", price=1200, inventory=5),
            "tee": create_product(shop, name="tee", price=2500, inventory=None)}


def checkout(tenant, items, key=None, **body):
    return tenant.api(key).post("/api/cart/checkout", {"items": items, **body}, format="json")


def held() -> dict[str, int]:
    return dict(Product.objects.values_list("name", "reserved"))


def test_a_cart_becomes_a_payment_mode_session_on_the_connected_account(shop, catalogue, quiet_standin):
    response = checkout(shop, [{"priceId": catalogue["mug"]["priceId"], "quantity": 2},
                               {"priceId": catalogue["tee"]["priceId"], "quantity": 1}],
                        key=shop.pk, email="buyer@example.com", name="Bea Buyer",
                        successUrl="https://shop.example/thanks", cancelUrl="https://shop.example/cart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"url", "sessionId", "expiresAt"}
    assert body["url"] == f"{quiet_standin.url}/checkout/{body['sessionId']}"
    session = stripe_get(quiet_standin, shop.account, f"/v1/checkout/sessions/{body['sessionId']}")
    assert (session["mode"], session["status"], session["amount_total"]) == ("payment", "open", 2 * 1200 + 2500)
    assert session["customer_email"] == "buyer@example.com"
    assert session["success_url"] == "https://shop.example/thanks"
    reservation = Reservation.objects.get()
    assert session["metadata"] == {"dreamapi_project": shop.project.public_id,
                                   "dreamapi_reservation": reservation.public_id}
    assert session["expires_at"] == int(reservation.expires_at.timestamp())
    assert 30 * 60 < session["expires_at"] - timezone.now().timestamp() <= 32 * 60
    lines = stripe_get(quiet_standin, shop.account, f"/v1/checkout/sessions/{body['sessionId']}/line_items")
    assert [(li["price"]["id"], li["quantity"]) for li in lines["data"]] == [
        (catalogue["mug"]["priceId"], 2), (catalogue["tee"]["priceId"], 1)]
    assert held() == {"mug": 2, "tee": 1}
    assert (reservation.status, reservation.email, reservation.name) == ("open", "buyer@example.com", "Bea Buyer")
    listed = {p["name"]: p for p in shop.api(shop.pk).get("/api/products").json()["products"]}
    assert (listed["mug"]["inventory"], listed["mug"]["soldOut"]) == (3, False)


def test_the_same_price_twice_adds_up(shop, catalogue):
    price = catalogue["mug"]["priceId"]
    assert checkout(shop, [{"priceId": price, "quantity": 2}, {"priceId": price, "quantity": 1}]).status_code == 200
    assert held()["mug"] == 3
    refused = checkout(shop, [{"priceId": price, "quantity": 60}, {"priceId": price, "quantity": 40}])
    assert refused.status_code == 400 and refused.json()["code"] == "quantity_too_large"


def test_not_enough_stock_is_a_409_naming_the_item_and_holding_nothing(shop, catalogue):
    assert checkout(shop, [{"priceId": catalogue["mug"]["priceId"], "quantity": 4}]).status_code == 200
    response = checkout(shop, [{"priceId": catalogue["tee"]["priceId"], "quantity": 3},
                               {"priceId": catalogue["mug"]["priceId"], "quantity": 2}])
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_inventory" and "only 1 left" in body["message"]
    assert body["item"] == {"priceId": catalogue["mug"]["priceId"], "productId": catalogue["mug"]["id"],
                            "name": "mug", "requested": 2, "available": 1}
    assert held() == {"mug": 4, "tee": 0}  # the tee line held first was released with the rest
    assert Reservation.objects.count() == 1


def test_a_sold_out_product_says_so(shop, catalogue):
    Product.objects.filter(name="mug").update(inventory=0)
    response = checkout(shop, [{"priceId": catalogue["mug"]["priceId"], "quantity": 1}])
    assert response.status_code == 409 and "sold out" in response.json()["message"]
    assert shop.api(shop.pk).get("/api/products").json()["products"][0]["soldOut"] is True


@pytest.mark.parametrize("items, field", [
    ([{"priceId": "P", "quantity": 0}], "items.0.quantity"),
    ([{"priceId": "P", "quantity": 100}], "items.0.quantity"),
    ([{"priceId": "P", "quantity": 1.5}], "items.0.quantity"),
    ([{"priceId": "P", "quantity": "1"}], "items.0.quantity"),
    ([{"priceId": "P"}], "items.0.quantity"),
    ([{"quantity": 1}], "items.0.priceId"),
    ([], "items"),
    ([{"priceId": "P", "quantity": 1}] * 21, "items"),
    ("P", "items"),
])
def test_bad_carts_are_a_400_naming_the_field(shop, catalogue, items, field):
    price = catalogue["mug"]["priceId"]
    items = [{**i, "priceId": price} if i.get("priceId") == "P" else i for i in items] if isinstance(items, list) \
        else items
    response = checkout(shop, items)
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"], response.json()
    assert held() == {"mug": 0, "tee": 0} and not Reservation.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"email": "not-an-email"}, "email"),
    ({"successUrl": "javascript:alert(1)"}, "successUrl"),
    ({"successUrl": "/relative"}, "successUrl"),
    ({"cancelUrl": "https://user:pw@shop.example/"}, "cancelUrl"),
    ({"cancelUrl": "https://shop.example\\@evil.example/"}, "cancelUrl"),
    ({"successUrl": "ftp://shop.example/"}, "successUrl"),
    ({"name": 5}, "name"),
])
def test_bad_buyer_details_and_redirects_are_a_400(shop, catalogue, body, field):
    response = checkout(shop, [{"priceId": catalogue["mug"]["priceId"], "quantity": 1}], **body)
    assert response.status_code == 400 and field in response.json()["fields"], response.content
    assert not Reservation.objects.exists()


def test_an_unknown_price_and_another_projects_price_look_the_same(shop, catalogue, bob, quiet_standin):
    connect_account(bob, quiet_standin)
    bobs = create_product(bob, name="secret", price=999)
    for price in ("price_doesnotexist", bobs["priceId"]):
        response = checkout(shop, [{"priceId": price, "quantity": 1}])
        assert response.status_code == 400
        assert response.json()["code"] == "unknown_price"
        assert "secret" not in response.content.decode()
        assert response.json()["fields"] == {"items.0.priceId": ["Unknown price."]}
    # …and bob cannot buy alice's product with his key.
    assert checkout(bob, [{"priceId": catalogue["mug"]["priceId"], "quantity": 1}]).status_code == 400
    assert held() == {"mug": 0, "tee": 0, "secret": 0}


def test_an_archived_product_cannot_be_bought(shop, catalogue):
    shop.api().delete(f"/api/products/{catalogue['mug']['id']}")
    response = checkout(shop, [{"priceId": catalogue["mug"]["priceId"], "quantity": 1}])
    assert response.status_code == 400 and response.json()["code"] == "product_archived"


def test_one_checkout_is_one_currency(shop, catalogue):
    euro = create_product(shop, name="euro", currency="eur")
    response = checkout(shop, [{"priceId": catalogue["mug"]["priceId"], "quantity": 1},
                               {"priceId": euro["priceId"], "quantity": 1}])
    assert response.status_code == 400 and response.json()["code"] == "mixed_currencies"


def test_with_the_publishable_key_redirects_must_be_on_an_allowed_origin(shop, catalogue):
    item = [{"priceId": catalogue["mug"]["priceId"], "quantity": 1}]
    refused = checkout(shop, item, key=shop.pk, successUrl="https://evil.example/steal")
    assert refused.status_code == 400 and refused.json()["code"] == "redirect_not_allowed"
    assert checkout(shop, item, key=shop.pk, cancelUrl="https://SHOP.example:443/back").status_code == 200
    assert checkout(shop, item, successUrl="https://anywhere.example/").status_code == 200  # the secret key may


def test_defaults_are_used_without_redirect_urls(shop, catalogue, quiet_standin, settings):
    shop.project.checkout_success_url = "https://shop.example/done"
    shop.project.save()
    body = checkout(shop, [{"priceId": catalogue["mug"]["priceId"], "quantity": 1}]).json()
    session = stripe_get(quiet_standin, shop.account, f"/v1/checkout/sessions/{body['sessionId']}")
    assert session["success_url"] == "https://shop.example/done"
    assert session["cancel_url"] == f"{settings.SITE_URL}/checkout/cancel"


def test_when_stripe_fails_the_hold_is_released_at_once(shop, catalogue, settings):
    from billing import stripe_api

    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    stripe_api.reset_clients()
    response = checkout(shop, [{"priceId": catalogue["mug"]["priceId"], "quantity": 5}])
    assert response.status_code == 503
    assert held() == {"mug": 0, "tee": 0}
    reservation = Reservation.objects.get()
    assert (reservation.status, reservation.release_reason) == ("released", "abandoned")


def test_a_retry_with_the_same_idempotency_key_gets_the_same_session(shop, catalogue):
    item = [{"priceId": catalogue["mug"]["priceId"], "quantity": 2}]
    first = shop.api(HTTP_IDEMPOTENCY_KEY="cart-42").post("/api/cart/checkout", {"items": item}, format="json")
    again = shop.api(HTTP_IDEMPOTENCY_KEY="cart-42").post("/api/cart/checkout", {"items": item}, format="json")
    assert first.json() == again.json()
    assert held()["mug"] == 2 and Reservation.objects.count() == 1
    other = shop.api(HTTP_IDEMPOTENCY_KEY="cart-42").post(
        "/api/cart/checkout", {"items": [{**item[0], "quantity": 1}]}, format="json")
    assert other.status_code == 400 and other.json()["code"] == "idempotency_key_reused"


def test_products_of_a_previously_connected_account_must_be_saved_again(shop, catalogue, quiet_standin):
    from billing.models import StripeConnection

    StripeConnection.objects.filter(project=shop.project).update(disconnected_at=timezone.now())
    connect_account(shop, quiet_standin)
    item = [{"priceId": catalogue["mug"]["priceId"], "quantity": 1}]
    refused = checkout(shop, item)
    assert refused.status_code == 409 and refused.json()["code"] == "product_not_in_stripe"
    resaved = shop.api().patch(f"/api/products/{catalogue['mug']['id']}", {"order": 0}, format="json").json()
    assert resaved["product"]["priceId"] != catalogue["mug"]["priceId"]
    assert checkout(shop, [{"priceId": resaved["product"]["priceId"], "quantity": 1}]).status_code == 200


def test_without_a_connected_account_it_is_a_409(shop, catalogue):
    from billing.models import StripeConnection

    StripeConnection.objects.all().delete()
    response = checkout(shop, [{"priceId": catalogue["mug"]["priceId"], "quantity": 1}])
    assert response.status_code == 409 and response.json()["code"] == "stripe_not_connected"


def test_browsers_get_cors_for_post_from_allowed_origins(shop, catalogue, api_client):
    preflight = api_client.options("/api/cart/checkout", HTTP_ORIGIN="https://shop.example",
                                   HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert preflight.status_code == 204
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "Idempotency-Key" in preflight["Access-Control-Allow-Headers"]
    item = [{"priceId": catalogue["mug"]["priceId"], "quantity": 1}]
    allowed = shop.api(shop.pk, HTTP_ORIGIN="https://shop.example").post("/api/cart/checkout", {"items": item},
                                                                         format="json")
    assert allowed["Access-Control-Allow-Origin"] == "https://shop.example"
    other = shop.api(shop.pk, HTTP_ORIGIN="https://evil.example").post("/api/cart/checkout", {"items": item},
                                                                       format="json")
    assert other.get("Access-Control-Allow-Origin") is None


def test_the_publishable_key_is_rate_limited_per_address(shop, catalogue, settings):
    settings.STORE_CART_CHECKOUTS_PER_MINUTE = 2
    item = [{"priceId": catalogue["tee"]["priceId"], "quantity": 1}]
    statuses = [checkout(shop, item, key=shop.pk).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = checkout(shop, item, key=shop.pk)
    assert limited.json()["code"] == "rate_limited" and int(limited["Retry-After"]) >= 1
    assert checkout(shop, item).status_code == 200  # the secret key is the developer's server


def test_an_outsider_key_changes_nothing(shop, catalogue):
    assert checkout(shop, [], key="pk_test_" + "x" * 30).status_code == 401
    assert held() == {"mug": 0, "tee": 0}
