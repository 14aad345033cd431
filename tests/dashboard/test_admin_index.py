"""The admin's index shows operators the platform's numbers."""

import re

import pytest
from django.contrib.auth import get_user_model
from djstripe.models import Customer, Subscription

from billing.models import StripeEvent

pytestmark = pytest.mark.django_db


def platform_subscription(user, n, *, status, amount, interval="month", quantity=1):
    customer = Customer.objects.create(id=f"cus_plat{n}", subscriber=user, livemode=False, stripe_data={})
    Subscription.objects.create(id=f"sub_plat{n}", customer=customer, livemode=False, stripe_data={
        "id": f"sub_plat{n}", "status": status,
        "items": {"data": [{"quantity": quantity,
                            "price": {"unit_amount": amount, "currency": "usd", "recurring": {"interval": interval}}}]},
    })


def figure(page: str, label: str) -> str:
    return re.search(rf"<th scope=\"row\">{label}</th><td>(.*?)</td>", page).group(1)


def test_the_index_shows_developers_revenue_end_users_and_failures(client, alice, bob):
    alice.platform.paid_plan_active = True
    alice.platform.save()
    platform_subscription(alice.user, 1, status="active", amount=1500)
    platform_subscription(bob.user, 2, status="active", amount=18000, interval="year")  # 1,500 a month
    platform_subscription(bob.user, 3, status="canceled", amount=1500)
    alice.end_user("a@example.com")
    alice.end_user("b@example.com")
    bob.end_user("c@example.com", mode="live")
    StripeEvent.objects.create(stripe_event_id="evt_f", type="invoice.paid", payload={}, status="failed")
    ops = get_user_model().objects.create_superuser("ops", "ops@dream-api.local", "ops-password-123")
    client.force_login(ops)
    page = client.get("/admin/").content.decode()
    assert figure(page, "Developers") == "2" and figure(page, "Paying developers") == "1"
    assert figure(page, "MRR of platform plans") == "$30.00"
    assert figure(page, "End users, live") == "1" and figure(page, "End users, test") == "2"
    failed = figure(page, "Failed Stripe events")
    assert "status__exact=failed" in failed and ">1<" in failed


def test_the_index_is_for_staff_only(client, alice):
    client.force_login(alice.user)
    assert client.get("/admin/").status_code == 302
