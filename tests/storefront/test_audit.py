"""Every change to the catalogue is in the audit log with who made it: through the API, the
secret key that made the call; a refused change records nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from storefront.models import Product
from storefront.services import product_delete
from tenants.audit import Actor
from tenants.models import ApiKey, AuditEvent

from .conftest import create_product, image_bytes

pytestmark = pytest.mark.django_db


def product_events(tenant):
    return list(AuditEvent.objects.filter(project=tenant.project, action__startswith="product.").order_by("id"))


def test_the_api_records_each_product_change_with_its_secret_key(shop):
    api = shop.api()
    created = create_product(shop, name="poster", price=1800, inventory=5)
    api.patch(f"/api/products/{created['id']}", {"price": 2000, "inventory": 7}, format="json")
    image = SimpleUploadedFile("p.png", image_bytes("PNG"), content_type="image/png")
    assert api.post(f"/api/products/{created['id']}/image", {"image": image}, format="multipart").status_code == 200
    api.delete(f"/api/products/{created['id']}/image")
    api.delete(f"/api/products/{created['id']}")
    events = product_events(shop)
    assert [(e.action, e.target, e.mode) for e in events] == [
        ("product.create", "poster", "test"), ("product.update", "poster", "test"),
        ("product.image", "poster", "test"), ("product.image", "poster", "test"),
        ("product.archive", "poster", "test")]
    secret = ApiKey.objects.get(project=shop.project, mode="test", kind="sk", revoked_at__isnull=True)
    assert {(e.actor_kind, e.actor_api_key_id, e.actor_label) for e in events} == {
        ("api_key", secret.pk, "secret key (test)")}
    assert events[0].changes["price_cents"] == [None, 1800] and events[0].changes["inventory"] == [None, 5]
    assert events[1].changes == {"price_cents": [1800, 2000], "inventory": [5, 7]}
    key = Product.objects.get(public_id=created["id"])
    assert events[2].changes["image"][0] is None and events[2].changes["image"][1].startswith(shop.project.public_id)
    assert events[3].changes["image"][1] is None and key.image is None
    assert events[4].changes == {"active": [True, False]}


def test_an_unchanged_save_and_a_refused_change_record_nothing(shop):
    api = shop.api()
    created = create_product(shop)
    api.patch(f"/api/products/{created['id']}", {"displayName": created["displayName"]}, format="json")
    refused = api.patch(f"/api/products/{created['id']}", {"currency": "us"}, format="json")
    assert refused.status_code == 400
    taken = api.post("/api/products", {"name": created["name"], "price": 5}, format="json")
    assert taken.status_code == 409
    assert [e.action for e in product_events(shop)] == ["product.create"]


def test_a_deletion_is_recorded_with_what_the_product_was(shop):
    created = create_product(shop, name="spare", price=700)
    product_delete(product=Product.objects.get(public_id=created["id"]), actor=Actor.developer(shop.user))
    event = product_events(shop)[-1]
    assert (event.action, event.target, event.actor_kind, event.actor_user_id) == (
        "product.delete", "spare", "developer", shop.user.pk)
    assert event.changes["price_cents"] == [700, None] and event.changes["name"] == ["spare", None]
