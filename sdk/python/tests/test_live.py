"""Every method, sync and async, against a live dream-api: with the secret key, and in browser
mode (the publishable key and the end user's token, signed in with PKCE)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from dreamapi import AsyncDreamAPI, DreamAPI, DreamAPIError

from .conftest import Live, eventually, hosted_sign_in, pay_on_checkout_page, png_bytes, unique


def suffix() -> str:
    return uuid.uuid4().hex[:8]


def test_customers_create_get_update_list_iterate_delete(api: DreamAPI):
    email = unique("crud")
    customer = api.customers.create(email, first_name="Ada", plan="free", metadata={"team": "a"})
    assert customer.id.startswith("usr_")
    assert (customer.email, customer.plan, customer.first_name) == (email, "free", "Ada")
    assert customer.created_at is not None and abs(customer.created_at.timestamp() - time.time()) < 600

    assert api.customers.get(customer.id).email == email
    updated = api.customers.update(customer.id, first_name="Grace", metadata={"team": "b"})
    assert (updated.first_name, dict(updated.metadata)) == ("Grace", {"team": "b"})

    page = api.customers.list(search=email)
    assert [c.id for c in page] == [customer.id] and page.total == 1 and not page.has_more

    made = [api.customers.create(unique("pyiter")).id for _ in range(3)]
    seen = [c.id for c in api.customers.iterate(search="pyiter-", limit=2)]
    assert set(made) <= set(seen) and len(seen) == len(set(seen))

    deleted = api.customers.delete(customer.id)
    assert deleted.success and deleted.deleted_id == customer.id
    with pytest.raises(DreamAPIError) as caught:
        api.customers.get(customer.id)
    assert caught.value.status == 404


def test_the_originals_customer_and_delete_shapes(api: DreamAPI, live: Live):
    email = unique("shape")
    external_id = f"app-{suffix()}"
    customer = api.customers.create(email, external_id=external_id)
    assert customer.publishable_key == live.publishable_key and customer.external_id == external_id
    assert isinstance(customer.raw["createdAt"], int)
    assert customer.created is not None and customer.created_at is not None
    assert abs((customer.created - customer.created_at).total_seconds()) < 1
    assert api.customers.get(external_id).id == customer.id
    assert api.usage.track(user_id=external_id).usage.user_id == customer.id
    deleted = api.customers.delete(customer.id)
    assert (deleted.deleted_id, deleted.deleted_email, deleted.deleted.external_id) == (customer.id, email, external_id)
    assert deleted.message


def test_bad_input_names_the_field(api: DreamAPI):
    with pytest.raises(DreamAPIError) as caught:
        api.customers.create("not-an-email")
    assert caught.value.status == 400 and "email" in caught.value.fields


def test_another_projects_key_sees_nothing(api: DreamAPI, live: Live):
    customer = api.customers.create(unique("mine"))
    with DreamAPI(live.other_secret_key, base_url=live.base_url) as outsider:
        for call in (outsider.customers.get, outsider.customers.delete):
            with pytest.raises(DreamAPIError) as caught:
                call(customer.id)
            assert caught.value.status == 404
    assert api.customers.get(customer.id).id == customer.id


def test_track_and_check_by_id_and_by_token(api: DreamAPI, live: Live):
    customer = api.customers.create(unique("use"))
    assert api.usage.track(user_id=customer.id).usage.usage_count == 1
    token = live.token_for(customer.id)
    assert api.usage.track(user_token=token).usage.usage_count == 2
    usage = api.usage.check(user_token=token)
    assert (usage.usage_count, usage.plan) == (2, "free")
    assert usage.limit is not None and usage.remaining == usage.limit - 2
    assert usage.period_start is not None and usage.period_end is not None and usage.period_start < usage.period_end


def test_at_the_limit_track_raises_tier_limit_reached(api: DreamAPI, live: Live):
    customer = api.customers.create(unique("limit"), plan=live.small_tier)
    api.usage.track(user_id=customer.id)
    api.usage.track(user_id=customer.id)
    with pytest.raises(DreamAPIError) as caught:
        api.usage.track(user_id=customer.id)
    assert caught.value.is_limit_reached and caught.value.status == 403
    assert caught.value.usage is not None and (caught.value.usage.usage_count, caught.value.usage.limit) == (2, 2)
    assert api.usage.check(user_id=customer.id).usage_count == 2


def test_tiers_checkout_portal_and_an_idempotent_checkout(api: DreamAPI, live: Live):
    paid = next(t for t in api.products.list_tiers() if t.name == live.paid_tier)
    assert paid.price > 0 and paid.price_id.startswith("price_")
    customer = api.customers.create(unique("pay"))
    first = api.billing.create_checkout(tier=live.paid_tier, success_url=f"{live.app_origin}/ok",
                                        cancel_url=f"{live.app_origin}/no", user_id=customer.id,
                                        idempotency_key=f"py-{customer.id}")
    again = api.billing.create_checkout(tier=live.paid_tier, success_url=f"{live.app_origin}/ok",
                                        cancel_url=f"{live.app_origin}/no", user_id=customer.id,
                                        idempotency_key=f"py-{customer.id}")
    assert first.url.startswith("http") and first.session_id == again.session_id
    assert api.billing.open_portal(return_url=f"{live.app_origin}/acct", user_id=customer.id).url.startswith("http")


def test_change_plan_needs_a_subscription_and_reads_the_answer(api: DreamAPI, live: Live):
    customer = api.customers.create(unique("change"))
    with pytest.raises(DreamAPIError) as caught:
        api.billing.change_plan(tier=live.paid_tier, user_id=customer.id)
    assert (caught.value.status, caught.value.code) == (409, "checkout_required")
    unchanged = api.billing.change_plan(tier="free", user_id=customer.id)
    assert (unchanged.changed, unchanged.plan, unchanged.pending_plan, unchanged.subscription) == (
        "none", "free", None, None)
    with pytest.raises(DreamAPIError) as caught:
        api.billing.change_plan(tier="no-such-tier", user_id=customer.id)
    assert (caught.value.status, caught.value.code) == (404, "unknown_tier")

    async def in_async() -> str:
        async with AsyncDreamAPI(live.secret_key, base_url=live.base_url) as client:
            return (await client.billing.change_plan(tier="free", user_id=customer.id)).changed

    assert asyncio.run(in_async()) == "none"


def test_tokens_refresh_revoke_and_a_bad_code(api: DreamAPI, live: Live):
    customer = api.customers.create(unique("tok"))
    by_id = api.auth.refresh(customer_id=customer.id)
    assert by_id.customer.id == customer.id and by_id.expires_in > 0
    by_token = api.auth.refresh(token=by_id.token)
    assert api.usage.check(user_token=by_token.token).usage_count == 0
    assert api.auth.revoke(customer_id=customer.id).success
    with pytest.raises(DreamAPIError) as caught:
        api.usage.check(user_token=by_token.token)
    assert caught.value.status == 401
    with pytest.raises(DreamAPIError) as caught:
        api.auth.exchange_code(code="nope", redirect_uri=f"{live.app_origin}/cb")
    assert caught.value.code == "invalid_code"


def test_the_publishable_key_reads_tiers_and_is_refused_secret_calls(live: Live):
    with DreamAPI(publishable_key=live.publishable_key, base_url=live.base_url) as browser:
        assert any(t.name == live.paid_tier for t in browser.products.list_tiers())
        with pytest.raises(DreamAPIError) as caught:
            browser.customers.create(unique("nope"))
        assert (caught.value.status, caught.value.code) == (403, "secret_key_required")


def test_products_create_get_update_image_archive(api: DreamAPI, live: Live):
    name = f"poster-{suffix()}"
    product = api.products.create(name, price=1500, display_name="Poster", description="A3", inventory=5,
                                  features=["Signed"], restock_on_refund=True)
    assert product.id.startswith("prd_") and product.price_id.startswith("price_") and product.product_id.startswith("prod_")
    assert (product.name, product.display_name, product.price, product.currency, product.features) == \
        (name, "Poster", 1500, "usd", ("Signed",))
    assert (product.inventory, product.stock, product.reserved, product.sold, product.active) == (5, 5, 0, 0, True)
    assert product.restock_on_refund and product.image_url == "" and product.created_at is not None
    assert api.products.get(name).id == product.id

    repriced = api.products.update(product.id, price=1800, inventory=None)
    assert (repriced.price, repriced.stock, repriced.inventory) == (1800, None, None)
    assert repriced.price_id != product.price_id and repriced.product_id == product.product_id

    pictured = api.products.upload_image(product.id, png_bytes(6, 4), filename="poster.png")
    assert f"/api/assets/{live.project_id}/" in pictured.image_url and pictured.image_url.endswith(".png")
    served = httpx.get(pictured.image_url, timeout=30)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    with pytest.raises(DreamAPIError) as caught:
        api.products.upload_image(product.id, b"<svg/>", filename="x.png")
    assert (caught.value.status, caught.value.code) == (400, "invalid_image")
    assert api.products.delete_image(product.id).image_url == ""

    assert not api.products.archive(product.id).active
    assert product.id not in {p.id for p in api.products.list()}
    assert api.products.update(product.id, active=True).active
    assert product.id in {p.id for p in api.products.list()}

    with DreamAPI(live.other_secret_key, base_url=live.base_url) as outsider:
        for call in (outsider.products.get, outsider.products.archive):
            with pytest.raises(DreamAPIError) as caught:
                call(product.id)
            assert caught.value.status == 404
    with DreamAPI(publishable_key=live.publishable_key, base_url=live.base_url) as browser:
        with pytest.raises(DreamAPIError) as caught:
            browser.products.create(f"pk-{suffix()}", price=100)
        assert caught.value.status in (401, 403)


def test_a_cart_paid_on_the_checkout_page_becomes_an_order(api: DreamAPI, live: Live):
    product = api.products.create(f"mug-{suffix()}", price=1200, display_name="Mug", inventory=3)
    listed = next(p for p in api.products.list() if p.id == product.id)
    assert (listed.inventory, listed.sold_out, listed.price_id) == (3, False, product.price_id)
    assert "stock" not in listed.raw
    with DreamAPI(publishable_key=live.publishable_key, base_url=live.base_url) as browser:
        cart = browser.products.cart_checkout(items=[{"priceId": product.price_id, "quantity": 2}],
                                              customer_email="py.buyer@example.com", customer_name="Py Buyer",
                                              success_url=f"{live.app_origin}/thanks",
                                              idempotency_key=f"cart-{suffix()}")
        assert cart.session_id.startswith("cs_") and cart.expires_at is not None
        assert cart.expires_at > datetime.now(timezone.utc)
        with pytest.raises(DreamAPIError) as caught:
            browser.products.cart_checkout(items=[{"priceId": product.price_id, "quantity": 2}])
        assert (caught.value.status, caught.value.code) == (409, "insufficient_inventory")
    assert pay_on_checkout_page(cart.url).startswith(f"{live.app_origin}/thanks")

    order = eventually(lambda: next(iter(api.orders.list(search="py.buyer@example.com")), None))
    assert order.id.startswith("ord_") and order.payment_id.startswith("pi_") and order.session_id == cart.session_id
    assert (order.status, order.email, order.name, order.customer, order.amount, order.currency) == \
        ("paid", "py.buyer@example.com", "Py Buyer", "Py Buyer", 2400, "usd")
    assert order.date is not None and order.amount_refunded == 0
    (line,) = order.items
    assert (line.product_id, line.price_id, line.name, line.quantity, line.unit_amount, line.amount) == \
        (product.id, product.price_id, "Mug", 2, 1200, 2400)
    assert (api.products.get(product.id).sold, api.products.get(product.id).stock) == (2, 1)


def test_orders_filter_page_and_iterate(api: DreamAPI, live: Live):
    product = api.products.create(f"pin-{suffix()}", price=300)
    for buyer in ("one", "two", "three"):
        cart = api.products.cart_checkout(items=[{"priceId": product.price_id, "quantity": 1}],
                                          customer_email=f"{buyer}@py-orders.example")
        pay_on_checkout_page(cart.url)
    eventually(lambda: api.orders.list(search="py-orders.example").total == 3)
    page = api.orders.list(search="py-orders.example", limit=2)
    assert (len(page), page.page, page.limit, page.total, page.has_more) == (2, 1, 2, 3, True)
    assert [o.email for o in api.orders.list(search="two@py-orders.example")] == ["two@py-orders.example"]
    assert len(api.orders.list(status="refunded", search="py-orders.example")) == 0
    assert len(api.orders.list(since=datetime.now(timezone.utc) + timedelta(hours=1))) == 0
    assert len(api.orders.list(until=datetime.now(timezone.utc) + timedelta(hours=1), search="py-orders")) == 3
    emails = sorted(o.email for o in api.orders.iterate(search="py-orders.example", limit=2))
    assert emails == ["one@py-orders.example", "three@py-orders.example", "two@py-orders.example"]
    with DreamAPI(live.other_secret_key, base_url=live.base_url) as outsider:
        assert outsider.orders.list().total == 0


def test_tier_management(api: DreamAPI, live: Live):
    free_id, paid_id = f"max-{suffix()}", f"team-{suffix()}"
    unlimited = api.products.create_tier(free_id, display_name="Max", features=["All"])
    assert (unlimited.id, unlimited.name, unlimited.display_name, unlimited.limit, unlimited.price) == \
        (free_id, free_id, "Max", None, 0)
    assert (unlimited.price_id, unlimited.default, unlimited.features) == ("", False, ("All",))
    listed = next(t for t in api.products.list_tiers() if t.name == free_id)
    assert (listed.limit, listed.raw["limit"], listed.price_id) == (None, "unlimited", "")
    # A managed tier is the listed tier plus its place and default: the same keys, the same values.
    assert {k: v for k, v in unlimited.raw.items() if k not in ("order", "default")} == dict(listed.raw)

    team = api.products.create_tier(paid_id, display_name="Team", price=4900, limit=5000, popular=True)
    assert team.price_id.startswith("price_") and team.popular
    changed = api.products.update_tier(paid_id, price=49000, interval="year", limit=None)
    assert (changed.price, changed.interval, changed.limit) == (49000, "year", None)
    assert changed.price_id != team.price_id
    assert api.products.update_tier(paid_id, display_name="Team+").limit is None  # limit left out: unchanged
    trial = api.products.update_tier(paid_id, trial_days=14, trial_requires_card=False)
    assert (trial.trial_days, trial.trial_requires_card) == (14, False)

    customer = api.customers.create(unique("tiered"), plan=paid_id)
    with pytest.raises(DreamAPIError) as caught:
        api.products.delete_tier(paid_id)
    assert caught.value.status in (400, 409)
    deleted = api.products.delete_tier(paid_id, move_users_to=free_id)
    assert (deleted.success, deleted.deleted, deleted.id) == (True, True, paid_id)
    assert api.customers.get(customer.id).plan == free_id
    with pytest.raises(DreamAPIError) as caught:
        api.products.update_tier(paid_id, limit=1)
    assert (caught.value.status, caught.value.code) == (404, "unknown_tier")
    with DreamAPI(live.other_secret_key, base_url=live.base_url) as outsider:
        with pytest.raises(DreamAPIError) as caught:
            outsider.products.delete_tier(free_id)
        assert caught.value.status == 404


def test_dashboard_after_usage_a_paid_subscription_and_the_stores_orders(api: DreamAPI, live: Live):
    payer = api.customers.create(unique("payer"), external_id=f"payer-{suffix()}")
    user = api.customers.create(unique("user"))
    for _ in range(3):
        api.usage.track(user_id=user.id)
    checkout = api.billing.create_checkout(tier=live.paid_tier, user_id=payer.id, success_url=f"{live.app_origin}/ok")
    pay_on_checkout_page(checkout.url)
    product = api.products.create(f"cap-{suffix()}", price=700, display_name="Cap")
    cart = api.products.cart_checkout(items=[{"priceId": product.price_id, "quantity": 3}], customer_email=unique("cap"))
    pay_on_checkout_page(cart.url)
    metrics = eventually(lambda: (lambda m: m if m.active_subscriptions == 1 and m.subscription_revenue == 1500
                                  and any(o.session_id == cart.session_id for o in m.orders) else None)(
        api.dashboard.get()))
    assert (metrics.project_id, metrics.mode, metrics.currency, metrics.mrr) == (live.project_id, "test", "usd", 1500)
    assert (metrics.canceling_subscriptions, metrics.trialing_subscriptions, dict(metrics.mrr_by_currency)) == \
        (0, 0, {"usd": 1500})
    # The store's numbers are its orders' (this file's other tests paid some too): all in usd, none refunded.
    orders = list(api.orders.iterate())
    assert metrics.store_revenue == sum(o.amount - o.amount_refunded for o in orders) >= 2100
    assert metrics.total_revenue == metrics.subscription_revenue + metrics.store_revenue
    assert metrics.total_sales == len(orders)
    gross = sum(o.amount for o in orders)
    assert metrics.avg_order_value == (2 * gross + len(orders)) // (2 * len(orders))  # rounded half up
    assert metrics.revenue_this_month == metrics.total_revenue and metrics.usage_this_period >= 3
    assert metrics.customers_total >= 2 and metrics.customers_new_this_month >= 2
    paying = next(c for c in metrics.customers if c.id == payer.id)
    assert (paying.plan, paying.status, paying.external_id) == (live.paid_tier, "active", payer.external_id)
    assert paying.renews_at is not None and paying.renews_at > datetime.now(timezone.utc)
    counted = next(c for c in metrics.customers if c.id == user.id)
    assert (counted.usage, counted.status, counted.renews_at, counted.limit) == (3, "none", None, 100)
    paid = next(t for t in metrics.tiers if t.name == live.paid_tier)
    assert (paid.display_name, paid.price, paid.limit) == ("Pro", 1500, 500) and paid.price_id.startswith("price_")
    # Tiers, products and orders read exactly as their own calls give them.
    assert [t.raw for t in metrics.tiers] == [t.raw for t in api.products.list_tiers()]
    assert list(metrics.tiers) == api.products.list_tiers()
    sold = next(p for p in metrics.products if p.id == product.id)
    assert sold == api.products.get(product.id) and (sold.sold, sold.stock) == (3, None)
    assert metrics.orders[0] == api.orders.list().items[0] and metrics.orders[0].amount == 2100
    hooks = metrics.webhook_status
    assert hooks.url.endswith("/webhook/stripe") and hooks.failed_events == 0 and hooks.last_event is not None
    assert "invoice.paid" in {e.type for e in hooks.recent_events}
    assert all(e.timestamp is not None and e.status for e in hooks.recent_events)

    totals = api.dashboard.get_totals()
    assert (totals.mode, totals.currency, totals.total_mrr, totals.total_revenue, totals.active_subscriptions) == \
        ("test", "usd", 1500, metrics.total_revenue, 1)
    assert totals.total_revenue_this_month == metrics.total_revenue and totals.canceling_subscriptions == 0
    project = next(p for p in totals.projects if p.id == live.project_id)
    assert (project.mrr, project.revenue, project.active_subscriptions) == (1500, metrics.total_revenue, 1)
    assert project.customers >= 2
    with DreamAPI(publishable_key=live.publishable_key, base_url=live.base_url) as browser:
        with pytest.raises(DreamAPIError) as caught:
            browser.dashboard.get()
        assert caught.value.status in (401, 403)


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def test_browser_mode_pkce_sign_in_usage_checkout_and_sign_out(live: Live):
    """What a page holding only the publishable key does, with this SDK (e.g. a server-side
    rendered app that never saw the secret key): the hosted pages' URLs open, PKCE sign-in, the
    end user's calls with their token, refresh and revoke with the token itself."""
    with DreamAPI(publishable_key=live.publishable_key, base_url=live.base_url) as browser:
        redirect = f"{live.app_origin}/callback"
        for url in (browser.auth.get_sign_up_url(redirect), browser.auth.get_sign_in_url(redirect),
                    browser.auth.get_customer_portal_url(redirect), browser.auth.get_refresh_url(redirect)):
            assert httpx.get(url, timeout=30).status_code == 200, url

        verifier, challenge = _pkce_pair()
        start = f"{browser.auth.get_sign_in_url(redirect)}&code_challenge={challenge}&code_challenge_method=S256"
        landed = hosted_sign_in(start, live.user_email, live.user_password)
        (code,) = parse_qs(urlsplit(landed).query)["code"]
        with pytest.raises(DreamAPIError) as caught:
            browser.auth.exchange_code(code=code, redirect_uri=redirect, code_verifier=_pkce_pair()[0])
        assert caught.value.status == 400
        landed = hosted_sign_in(start, live.user_email, live.user_password)
        (code,) = parse_qs(urlsplit(landed).query)["code"]
        signed_in = browser.auth.exchange_code(code=code, redirect_uri=redirect, code_verifier=verifier)
        assert signed_in.customer.email == live.user_email and signed_in.expires_in > 0

        token = signed_in.token
        assert browser.usage.track(user_token=token).usage.user_id == signed_in.customer.id
        assert browser.usage.check(user_token=token).usage_count >= 1
        checkout = browser.billing.create_checkout(tier=live.paid_tier, user_token=token,
                                                   success_url=f"{live.app_origin}/ok")
        assert checkout.session_id.startswith("cs_")
        assert browser.billing.open_portal(user_token=token, return_url=f"{live.app_origin}/acct").url.startswith("http")
        with pytest.raises(DreamAPIError) as caught:
            browser.usage.track(user_id=signed_in.customer.id)
        assert caught.value.code == "secret_key_required"

        renewed = browser.auth.refresh(token=token)
        assert renewed.token != token and renewed.customer.id == signed_in.customer.id
        assert browser.auth.revoke(token=renewed.token).success
        with pytest.raises(DreamAPIError) as caught:
            browser.usage.check(user_token=renewed.token)
        assert caught.value.status == 401


def test_the_async_client_does_the_same(live: Live):
    async def journey() -> None:
        async with AsyncDreamAPI(live.secret_key, base_url=live.base_url) as api:
            customer = await api.customers.create(unique("async"))
            assert (await api.customers.get(customer.id)).id == customer.id
            assert (await api.customers.update(customer.id, last_name="Async")).last_name == "Async"
            assert [c.id async for c in api.customers.iterate(search=customer.email)] == [customer.id]
            tracked, _ = await asyncio.gather(api.usage.track(user_id=customer.id), api.usage.track(user_id=customer.id))
            assert (await api.usage.check(user_id=customer.id)).usage_count == 2
            assert any(t.name == live.paid_tier for t in await api.products.list_tiers())
            checkout = await api.billing.create_checkout(tier=live.paid_tier, user_id=customer.id,
                                                         success_url=f"{live.app_origin}/ok")
            assert checkout.session_id
            assert (await api.billing.open_portal(user_id=customer.id)).url.startswith("http")
            redirect = f"{live.app_origin}/callback"
            with DreamAPI(publishable_key=live.publishable_key, base_url=live.base_url) as pages:
                sign_in_url = pages.auth.get_sign_in_url(redirect)
            landed = await asyncio.to_thread(hosted_sign_in, sign_in_url, live.user_email, live.user_password)
            (code,) = parse_qs(urlsplit(landed).query)["code"]
            assert (await api.auth.exchange_code(code=code, redirect_uri=redirect)).customer.email == live.user_email
            signed_in = await api.auth.refresh(customer_id=customer.id)
            assert (await api.usage.check(user_token=signed_in.token)).usage_count == 2
            assert (await api.auth.revoke(customer_id=customer.id)).success
            assert (await api.customers.delete(customer.id)).success
            with pytest.raises(DreamAPIError):
                await api.customers.get(customer.id)

            # The store, tiers and the dashboard.
            name = f"async-{suffix()}"
            product = await api.products.create(name, price=700, inventory=2)
            assert (await api.products.get(product.id)).name == name
            assert (await api.products.update(product.id, display_name="Async mug")).display_name == "Async mug"
            assert (await api.products.upload_image(product.id, png_bytes(), filename="a.png")).image_url
            assert (await api.products.delete_image(product.id)).image_url == ""
            assert product.id in {p.id for p in await api.products.list()}
            cart = await api.products.cart_checkout(items=[{"priceId": product.price_id, "quantity": 1}],
                                                    customer_email="async.buyer@example.com")
            await asyncio.to_thread(pay_on_checkout_page, cart.url)
            for _ in range(150):
                if (await api.orders.list(search="async.buyer@example.com")).total:
                    break
                await asyncio.sleep(0.1)
            assert [o.email async for o in api.orders.iterate(search="async.buyer@example.com")] == \
                ["async.buyer@example.com"]
            assert not (await api.products.archive(product.id)).active
            tier = await api.products.create_tier(f"async-{suffix()}", limit=3)
            assert (await api.products.update_tier(tier.id, limit=None)).limit is None
            assert (await api.products.delete_tier(tier.id)).deleted
            assert (await api.dashboard.get()).project_id == live.project_id
            assert (await api.dashboard.get_totals()).total_customers >= 1

    asyncio.run(journey())
