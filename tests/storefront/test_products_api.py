"""The catalogue API: products listed with the publishable key, managed with the secret key,
each one a Stripe Product and Price on the connected account."""

import pytest

from storefront.models import Product

from .conftest import connect_account, create_product, stripe_get

pytestmark = pytest.mark.django_db

PRODUCT_KEYS = {"id", "name", "displayName", "description", "price", "currency", "priceId", "productId", "imageUrl",
                "inventory", "soldOut", "features"}
DETAIL_KEYS = PRODUCT_KEYS | {"active", "order", "stock", "reserved", "sold", "restockOnRefund", "createdAt",
                              "updatedAt"}


def test_a_created_product_is_a_stripe_product_and_price_and_is_listed_with_the_publishable_key(shop, quiet_standin):
    created = create_product(shop, name="tee", displayName="T-shirt", description="Soft", price=2500,
                             currency="EUR", inventory=3, features=["Organic cotton"], restockOnRefund=True)
    assert set(created) == DETAIL_KEYS
    assert created["id"].startswith("prd_") and created["priceId"].startswith("price_")
    assert (created["stock"], created["reserved"], created["sold"], created["inventory"]) == (3, 0, 0, 3)
    assert created["currency"] == "eur" and created["restockOnRefund"] is True

    price = stripe_get(quiet_standin, shop.account, f"/v1/prices/{created['priceId']}")
    assert (price["unit_amount"], price["currency"], price["type"], price["product"]) == (
        2500, "eur", "one_time", created["productId"])
    product = stripe_get(quiet_standin, shop.account, f"/v1/products/{created['productId']}")
    assert (product["name"], product["description"], product["active"]) == ("T-shirt", "Soft", True)
    assert product["metadata"] == {"dreamapi_project": shop.project.public_id, "dreamapi_product": created["id"]}

    listed = shop.api(shop.pk).get("/api/products")
    assert listed.status_code == 200
    assert listed.json() == {"products": [{k: created[k] for k in PRODUCT_KEYS} | {"soldOut": False}]}


def test_the_list_shows_active_products_in_order_and_what_is_left_with_one_query(shop, django_assert_num_queries):
    create_product(shop, name="b", order=2, inventory=None)
    create_product(shop, name="a", order=1, inventory=2)
    archived = create_product(shop, name="old")
    assert shop.api().delete(f"/api/products/{archived['id']}").status_code == 200
    Product.objects.filter(name="a").update(reserved=2)
    client = shop.api(shop.pk)
    client.get("/api/products")  # the key is now cached
    with django_assert_num_queries(1):
        products = client.get("/api/products").json()["products"]
    assert [(p["name"], p["inventory"], p["soldOut"]) for p in products] == [("a", 0, True), ("b", None, False)]


def test_a_price_change_makes_a_new_price_and_archives_the_old(shop, quiet_standin):
    created = create_product(shop)
    response = shop.api().patch(f"/api/products/{created['id']}", {"price": 1500, "displayName": "Big mug"},
                                format="json")
    assert response.status_code == 200, response.content
    updated = response.json()["product"]
    assert updated["priceId"] != created["priceId"] and updated["productId"] == created["productId"]
    assert stripe_get(quiet_standin, shop.account, f"/v1/prices/{created['priceId']}")["active"] is False
    new = stripe_get(quiet_standin, shop.account, f"/v1/prices/{updated['priceId']}")
    assert (new["unit_amount"], new["active"]) == (1500, True)
    assert stripe_get(quiet_standin, shop.account, f"/v1/products/{created['productId']}")["name"] == "Big mug"

    same = shop.api().patch(f"/api/products/{created['name']}", {"description": "Holds tea"}, format="json")
    assert same.json()["product"]["priceId"] == updated["priceId"]  # by name too; no new price without a change


def test_archiving_takes_the_product_off_sale_in_stripe_and_patch_brings_it_back(shop, quiet_standin):
    created = create_product(shop)
    archived = shop.api().delete(f"/api/products/{created['id']}")
    assert archived.status_code == 200 and archived.json()["product"]["active"] is False
    assert Product.objects.filter(public_id=created["id"]).exists()  # archived, never deleted
    assert stripe_get(quiet_standin, shop.account, f"/v1/prices/{created['priceId']}")["active"] is False
    assert stripe_get(quiet_standin, shop.account, f"/v1/products/{created['productId']}")["active"] is False
    assert shop.api(shop.pk).get("/api/products").json() == {"products": []}
    assert shop.api().get(f"/api/products/{created['id']}").json()["product"]["active"] is False

    back = shop.api().patch(f"/api/products/{created['id']}", {"active": True}, format="json").json()["product"]
    assert back["active"] is True and back["priceId"] == created["priceId"]
    assert stripe_get(quiet_standin, shop.account, f"/v1/prices/{created['priceId']}")["active"] is True


def test_stripe_failing_leaves_nothing_saved(shop, settings):
    from billing import stripe_api

    created = create_product(shop)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    stripe_api.reset_clients()
    failed = shop.api().post("/api/products", {"name": "lamp", "price": 900}, format="json")
    assert failed.status_code == 503 and failed.json()["code"] == "stripe_unavailable"
    assert not Product.objects.filter(name="lamp").exists()
    changed = shop.api().patch(f"/api/products/{created['id']}", {"price": 1, "displayName": "X"}, format="json")
    assert changed.status_code == 503
    product = Product.objects.get(public_id=created["id"])
    assert (product.price_cents, product.display_name, product.stripe_price_id) == (1200, "Mug", created["priceId"])


def test_names_are_unique_per_project_and_mode(shop, bob, quiet_standin):
    create_product(shop)
    again = shop.api().post("/api/products", {"name": "mug", "price": 5}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "product_exists"
    connect_account(bob, quiet_standin)
    assert create_product(bob)["name"] == "mug"  # another project may use the name


@pytest.mark.parametrize("body, field", [
    ({"price": 100}, "name"),
    ({"name": "Bad Name", "price": 100}, "name"),
    ({"name": "x", "price": 0}, "price"),
    ({"name": "x", "price": 100_000_000}, "price"),
    ({"name": "x", "price": "100"}, "price"),
    ({"name": "x", "price": 100, "currency": "dollars"}, "currency"),
    ({"name": "x", "price": 100, "inventory": -1}, "inventory"),
    ({"name": "x", "price": 100, "features": "fast"}, "features"),
    ({"name": "x", "price": 100, "features": [""]}, "features"),
    ({"name": "x", "price": 100, "colour": "red"}, "colour"),
    ({"name": "x", "price": 100, "active": "yes"}, "active"),
])
def test_bad_product_input_is_a_400_naming_the_field(shop, body, field):
    response = shop.api().post("/api/products", body, format="json")
    assert response.status_code == 400, response.content
    assert any(name.startswith(field) for name in response.json()["fields"]), response.json()
    assert not Product.objects.exists()


def test_a_currency_that_is_not_a_code_is_refused(shop):
    response = shop.api().post("/api/products", {"name": "x", "price": 100, "currency": "u$d"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_currency"


def test_patch_refuses_the_name_unknown_fields_and_an_empty_body(shop):
    created = create_product(shop)
    for body in ({"name": "other"}, {"prize": 3}, {}):
        response = shop.api().patch(f"/api/products/{created['id']}", body, format="json")
        assert response.status_code == 400, body
    assert Product.objects.get(public_id=created["id"]).name == "mug"


def test_inventory_cannot_go_below_what_open_checkouts_hold(shop):
    created = create_product(shop, inventory=10)
    Product.objects.filter(public_id=created["id"]).update(reserved=4)
    refused = shop.api().patch(f"/api/products/{created['id']}", {"inventory": 3}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "inventory_below_reserved"
    ok = shop.api().patch(f"/api/products/{created['id']}", {"inventory": 4}, format="json").json()["product"]
    assert (ok["stock"], ok["reserved"], ok["inventory"], ok["soldOut"]) == (4, 4, 0, True)
    unlimited = shop.api().patch(f"/api/products/{created['id']}", {"inventory": None}, format="json")
    assert unlimited.json()["product"]["inventory"] is None


def test_the_database_refuses_more_reserved_than_stock(shop):
    from django.db import IntegrityError, transaction

    created = create_product(shop, inventory=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(public_id=created["id"]).update(reserved=3)


def test_without_a_connected_account_products_cannot_be_created(alice, quiet_standin):
    response = alice.api().post("/api/products", {"name": "mug", "price": 100}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "stripe_not_connected"


def test_the_publishable_key_cannot_write_and_gets_no_cors_on_writes(shop):
    shop.project.allowed_origins = ["https://shop.example"]
    shop.project.save()
    created = create_product(shop)
    pk = shop.api(shop.pk, HTTP_ORIGIN="https://shop.example")
    for method, path in [("post", "/api/products"), ("patch", f"/api/products/{created['id']}"),
                         ("delete", f"/api/products/{created['id']}"), ("get", f"/api/products/{created['id']}")]:
        response = getattr(pk, method)(path, {"name": "x", "price": 1}, format="json")
        assert response.status_code == 403 and response.json()["code"] == "secret_key_required", (method, path)
    listed = pk.get("/api/products")
    assert listed["Access-Control-Allow-Origin"] == "https://shop.example"
    written = shop.api(HTTP_ORIGIN="https://shop.example").patch(f"/api/products/{created['id']}",
                                                                 {"order": 3}, format="json")
    assert written.status_code == 200 and "Access-Control-Allow-Origin" not in written
    assert shop.api(HTTP_ORIGIN="https://evil.example").get("/api/products").get("Access-Control-Allow-Origin") is None


def test_an_outsider_sees_and_changes_nothing(shop, bob, quiet_standin):
    created = create_product(shop)
    connect_account(bob, quiet_standin)
    assert bob.api(bob.pk).get("/api/products").json() == {"products": []}
    for method, body in [("get", None), ("patch", {"price": 1}), ("delete", None)]:
        response = getattr(bob.api(), method)(f"/api/products/{created['id']}", body, format="json")
        assert response.status_code == 404 and response.json()["code"] == "product_not_found"
    assert bob.api().patch("/api/products/mug", {"price": 1}, format="json").status_code == 404
    product = Product.objects.get(public_id=created["id"])
    assert (product.price_cents, product.active) == (1200, True)


def test_test_and_live_products_never_mix(shop, quiet_standin):
    shop.platform.paid_plan_active = True
    shop.platform.save()
    connect_account(shop, quiet_standin, mode="live")
    create_product(shop, name="test-only")
    live = shop.api(shop.keys["live"]["secretKey"])
    assert live.get("/api/products").json() == {"products": []}
    assert live.get("/api/products/test-only").status_code == 404
    made = live.post("/api/products", {"name": "live-only", "price": 100}, format="json").json()["product"]
    assert [p["name"] for p in shop.api(shop.pk).get("/api/products").json()["products"]] == ["test-only"]
    assert made["priceId"].startswith("price_")


def test_unknown_keys_get_401(shop):
    response = shop.api("sk_test_" + "x" * 30).get("/api/products")
    assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"


def test_only_a_product_never_in_a_checkout_can_be_deleted_for_good(shop):
    from dreamapi.errors import Conflict
    from storefront.models import Reservation, ReservationLine
    from storefront.services import product_delete

    spare = create_product(shop, name="spare")
    product_delete(product=Product.objects.get(public_id=spare["id"]))
    assert not Product.objects.filter(public_id=spare["id"]).exists()

    sold = Product.objects.get(public_id=create_product(shop, name="sold")["id"])
    reservation = Reservation.objects.create(project=shop.project, mode="test", stripe_account_id=shop.account,
                                             expires_at=sold.created_at)
    ReservationLine.objects.create(reservation=reservation, product=sold, quantity=1, unit_amount=1200,
                                   currency="usd", stripe_price_id=sold.stripe_price_id)
    with pytest.raises(Conflict) as exc:
        product_delete(product=sold)
    assert exc.value.code == "product_in_use" and Product.objects.filter(pk=sold.pk).exists()
