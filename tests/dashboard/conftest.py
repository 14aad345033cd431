"""A project with subscriptions, invoices and usage (build_shop), and a store with orders in two
currencies and refunds (build_store), whose numbers are worked out by hand in the tests
(tests/dashboard/test_metrics.py, test_store_metrics.py), for the dashboard's pages, API and
browser tests."""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from billing.models import StripeEvent, Subscription, Tier, TierPrice
from storefront.models import Order, OrderLine, Product
from tenants.models import EndUser
from usage.services import usage_history_fold, usage_track


def make_tier(tenant, slug, price_cents, interval="month", currency="usd", mode="test", limit=1000, prices=()):
    """A paid tier and the Stripe prices it has had (``prices``: (id, amount) pairs, the last one current)."""
    tier = Tier.objects.create(project=tenant.project, mode=mode, slug=slug, name=slug.title(),
                               price_cents=price_cents, currency=currency, interval=interval, monthly_limit=limit,
                               stripe_price_id=prices[-1][0] if prices else "")
    for price_id, amount in prices:
        TierPrice.objects.create(tier=tier, stripe_price_id=price_id, amount_cents=amount, currency=currency,
                                 interval=interval, active=price_id == prices[-1][0])
    return tier


_sub_seq = iter(range(1, 10**6))


def subscribe(end_user, tier, price_id, *, status="active", period_end=None, cancel=False):
    """Our copy of a Stripe subscription, as the webhook pipeline would have written it."""
    n = next(_sub_seq)
    return Subscription.objects.create(
        end_user=end_user, account_id="acct_fixture", stripe_subscription_id=f"sub_fixture{n}",
        stripe_customer_id=f"cus_fixture{n}", stripe_price_id=price_id, tier=tier, status=status,
        current_period_start=(period_end or timezone.now()) - timedelta(days=30),
        current_period_end=period_end or timezone.now() + timedelta(days=30), cancel_at_period_end=cancel,
    )


_evt_seq = iter(range(1, 10**6))


def paid_invoice(tenant, invoice_id, amount, *, received_at, currency="usd", livemode=False):
    n = next(_evt_seq)
    event = StripeEvent.objects.create(
        stripe_event_id=f"evt_fixture{n}", type="invoice.paid", account_id="acct_fixture", livemode=livemode,
        project=tenant.project, status="processed",
        payload={"id": f"evt_fixture{n}", "type": "invoice.paid",
                 "data": {"object": {"id": invoice_id, "object": "invoice", "amount_paid": amount,
                                     "currency": currency, "customer": "cus_fixture1"}}},
    )
    StripeEvent.objects.filter(pk=event.pk).update(received_at=received_at)
    return event


@pytest.fixture
def alice_browser(client, alice):
    """The test client signed in as alice."""
    client.force_login(alice.user)
    return client


def streamed(response) -> tuple[int, int, int]:
    """Reads a streamed download while tracing memory: (bytes, lines, peak bytes allocated)."""
    assert response.streaming
    tracemalloc.start()
    try:
        size = lines = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            lines += chunk.count(b"\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return size, lines, peak


def joined(end_user, when: datetime):
    EndUser.objects.filter(pk=end_user.pk).update(created_at=when)


@dataclass
class Shop:
    """Alice's project, test mode, at ``now`` (the numbers the tests expect are in test_metrics.py)."""

    now: datetime
    users: dict


def build_shop(tenant, now: datetime) -> Shop:
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    pro = make_tier(tenant, "pro", 1900, prices=[("price_pro_2025", 1500), ("price_pro", 1900)])
    team = make_tier(tenant, "team", 24000, interval="year", prices=[("price_team", 24000)], limit=None)
    soon, later, past = now + timedelta(days=5), now + timedelta(days=20), now - timedelta(days=1)
    users = {}

    def user(name, tier=None, **kwargs):
        users[name] = tenant.end_user(f"{name}@example.com", plan=tier.slug if tier else None, **kwargs)
        return users[name]

    subscribe(user("ada", pro), pro, "price_pro", period_end=later)                          # 1900
    subscribe(user("bert", pro), pro, "price_pro_2025", period_end=later)                    # 1500 (old price)
    subscribe(user("cleo", team), team, "price_team", period_end=later)                      # 24000/12 = 2000
    subscribe(user("dan", pro), pro, "price_pro", period_end=soon, cancel=True)              # 1900, canceling
    subscribe(user("eve", pro), pro, "price_pro", status="trialing", period_end=later)       # active, no MRR
    subscribe(user("fay", pro), pro, "price_pro", status="past_due", period_end=later)       # 1900
    subscribe(user("gus", pro), pro, "price_pro", period_end=past, cancel=True)              # ended: nothing
    subscribe(user("hal", pro), pro, "price_pro", status="canceled", period_end=past)        # nothing
    for name in ("ivy", "jon", "kim"):
        user(name, first_name=name.title())
    # Joined last month: ada, bert, cleo; everybody else this month.
    for name in ("ada", "bert", "cleo"):
        joined(users[name], month_start - timedelta(days=3))

    paid_invoice(tenant, "in_ada_1", 1900, received_at=month_start + timedelta(hours=2))
    paid_invoice(tenant, "in_ada_1", 1900, received_at=month_start + timedelta(hours=3))  # invoice.paid resent
    paid_invoice(tenant, "in_cleo_1", 24000, received_at=month_start + timedelta(days=1))
    paid_invoice(tenant, "in_bert_0", 1500, received_at=month_start - timedelta(days=10))  # last month
    paid_invoice(tenant, "in_live_1", 99900, received_at=month_start + timedelta(days=1), livemode=True)
    StripeEvent.objects.create(stripe_event_id="evt_fixture_failed", type="customer.subscription.updated",
                               account_id="acct_fixture", project=tenant.project, status="failed",
                               payload={"data": {"object": {"id": "sub_x"}}}, last_error="StripeError: timeout")

    # Calls: ada 5 two days ago, 3 today; ivy 2 today; fay 1 yesterday.
    calls = [("ada", 2, 5), ("fay", 1, 1), ("ada", 0, 3), ("ivy", 0, 2)]
    for name, days_ago, count in calls:
        at = now - timedelta(days=days_ago)
        for _ in range(count):
            usage_track(project_id=tenant.project.id, mode="test", user_public_id=users[name].public_id, now=at)
        usage_history_fold(now=at)
    return Shop(now=now, users=users)


@pytest.fixture
def shop(alice) -> Shop:
    return build_shop(alice, timezone.now())


def make_product(tenant, name, price_cents, *, currency="usd", inventory=None, mode="test", **fields):
    """A product as the storefront services leave it after syncing to Stripe (no Stripe call here)."""
    return Product.objects.create(project=tenant.project, mode=mode, name=name, display_name=name.title(),
                                  price_cents=price_cents, currency=currency, inventory=inventory,
                                  stripe_account_id="acct_fixture", stripe_product_id=f"prod_{name}",
                                  stripe_price_id=f"price_{name}_{mode}", **fields)


_order_seq = iter(range(1, 10**6))


def make_order(tenant, lines, *, paid_at, refunded=0, mode="test", email="buyer@example.com", name="Buyer"):
    """A paid order as the webhook pipeline writes it; ``lines``: (product, quantity) pairs;
    ``refunded``: minor units refunded in Stripe since."""
    n = next(_order_seq)
    total = sum(product.price_cents * quantity for product, quantity in lines)
    status = (Order.Status.REFUNDED if refunded == total else
              Order.Status.PARTIALLY_REFUNDED if refunded else Order.Status.PAID)
    order = Order.objects.create(
        project=tenant.project, mode=mode, stripe_account_id="acct_fixture", stripe_session_id=f"cs_fixture{n}",
        payment_intent_id=f"pi_fixture{n}", email=email, name=name, amount_total=total, amount_refunded=refunded,
        currency=lines[0][0].currency, status=status, paid_at=paid_at,
    )
    for product, quantity in lines:
        OrderLine.objects.create(order=order, product=product, product_name=product.display_name,
                                 stripe_price_id=product.stripe_price_id, quantity=quantity,
                                 unit_amount=product.price_cents, amount_total=product.price_cents * quantity)
    return order


@dataclass
class Store:
    """Alice's store at ``now``; what the tests expect, by hand (test mode):

    this month  usd: ann 2,400 + ben 1,200 refunded in full (0) + cat 3,600 − 1,200 refunded = 4,800 net
                     (gross 7,200 in 3 orders); eur: dora 1,800
    last month  usd: eve 1,200
    all time    usd 6,000 net (gross 8,400, 4 orders: 2,100 on average), eur 1,800; 5 orders in all
    live mode   usd 5,000 (one order), never in test figures
    """

    now: datetime
    products: dict
    orders: dict


def build_store(tenant, now: datetime) -> Store:
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    mug = make_product(tenant, "mug", 1200, inventory=10)
    poster = make_product(tenant, "poster", 1800, currency="eur")
    lamp = make_product(tenant, "lamp", 5000, mode="live")
    orders = {
        "ann": make_order(tenant, [(mug, 2)], paid_at=month_start + timedelta(days=1, hours=9),
                          email="ann@example.com", name="Ann Archer"),
        "ben": make_order(tenant, [(mug, 1)], paid_at=month_start + timedelta(days=2, hours=9), refunded=1200,
                          email="ben@example.com", name="Ben Baker"),
        "cat": make_order(tenant, [(mug, 3)], paid_at=month_start + timedelta(days=3, hours=9), refunded=1200,
                          email="cat@example.com", name="Cat Cooper"),
        "dora": make_order(tenant, [(poster, 1)], paid_at=month_start + timedelta(days=3, hours=10),
                           email="dora@example.com", name="Dora Dean"),
        "eve": make_order(tenant, [(mug, 1)], paid_at=month_start - timedelta(days=5), email="eve@example.com",
                          name="Eve Evans"),
        "live": make_order(tenant, [(lamp, 1)], paid_at=month_start + timedelta(days=1), mode="live",
                           email="liv@example.com", name="Liv Live"),
    }
    Product.objects.filter(pk=mug.pk).update(inventory=3, sold=7)
    return Store(now=now, products={"mug": mug, "poster": poster, "lamp": lamp}, orders=orders)
