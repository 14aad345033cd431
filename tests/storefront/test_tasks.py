"""The sweep runs from Celery beat under the name the schedule gives."""

import pytest
from django.conf import settings
from django.utils import timezone

from dreamapi.celery import app
from storefront.models import Product, Reservation, ReservationLine

pytestmark = pytest.mark.django_db


def test_beat_runs_the_sweep_every_five_minutes_and_it_releases_what_is_due(alice):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-store-reservations"]
    assert entry["schedule"] == 300
    app.loader.import_default_modules()
    task = app.tasks[entry["task"]]

    product = Product.objects.create(project=alice.project, mode="test", name="mug", display_name="Mug",
                                     price_cents=100, inventory=2, reserved=1)
    stuck = Reservation.objects.create(project=alice.project, mode="test", stripe_account_id="acct_1",
                                       expires_at=timezone.now() - timezone.timedelta(hours=2))
    ReservationLine.objects.create(reservation=stuck, product=product, quantity=1, unit_amount=100, currency="usd",
                                   stripe_price_id="price_1")
    assert task.delay().get() == {"completed": 0, "released": 1, "errors": 0}
    product.refresh_from_db()
    assert product.reserved == 0
