"""The store in the admin: lists and searches work, the release action calls the service."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from storefront.models import Product, Reservation, ReservationLine

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    client.force_login(get_user_model().objects.create_superuser("ops", "ops@dream-api.local", "ops-password-123"))
    return client


@pytest.mark.parametrize("path", ["product", "reservation", "order", "asset"])
def test_every_store_list_and_search_works(operator, alice, path):
    assert operator.get(f"/admin/storefront/{path}/").status_code == 200
    assert operator.get(f"/admin/storefront/{path}/", {"q": "x"}).status_code == 200


def test_releasing_a_hold_from_the_admin_gives_the_stock_back(operator, alice):
    product = Product.objects.create(project=alice.project, mode="test", name="mug", display_name="Mug",
                                     price_cents=100, inventory=3, reserved=2, stripe_price_id="price_1")
    reservation = Reservation.objects.create(project=alice.project, mode="test", status="open",
                                             stripe_account_id="acct_1", expires_at=timezone.now())
    ReservationLine.objects.create(reservation=reservation, product=product, quantity=2, unit_amount=100,
                                   currency="usd", stripe_price_id="price_1")
    response = operator.post("/admin/storefront/reservation/", {"action": "release",
                                                                "_selected_action": [reservation.pk]})
    assert response.status_code == 302
    product.refresh_from_db()
    reservation.refresh_from_db()
    assert (product.reserved, reservation.status, reservation.release_reason) == (0, "released", "operator")
    assert operator.get(f"/admin/storefront/reservation/{reservation.pk}/change/").status_code == 200
