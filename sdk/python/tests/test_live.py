"""Every method, sync and async, against a live dream-api with the secret key."""

from __future__ import annotations

import asyncio
import time

import pytest

from dreamapi import AsyncDreamAPI, DreamAPI, DreamAPIError

from .conftest import Live, original_shapes_missing, unique


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
    waiting = original_shapes_missing(live)
    if waiting:
        pytest.skip(waiting)
    email = unique("shape")
    customer = api.customers.create(email)
    assert customer.publishable_key == live.publishable_key
    assert isinstance(customer.raw["createdAt"], int)
    deleted = api.customers.delete(customer.id)
    assert (deleted.deleted_id, deleted.deleted_email) == (customer.id, email)
    assert deleted.message


def test_bad_input_names_the_field(api: DreamAPI):
    with pytest.raises(DreamAPIError) as caught:
        api.customers.create("not-an-email")
    assert caught.value.status == 400 and "email" in caught.value.fields


def test_another_projects_key_sees_nothing(api: DreamAPI, live: Live):
    if not live.other_secret_key:
        pytest.skip("no outsider key")
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
    if not live.small_tier:
        pytest.skip("no small tier")
    customer = api.customers.create(unique("limit"), plan=live.small_tier)
    api.usage.track(user_id=customer.id)
    api.usage.track(user_id=customer.id)
    with pytest.raises(DreamAPIError) as caught:
        api.usage.track(user_id=customer.id)
    assert caught.value.is_limit_reached and caught.value.status == 403
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


def test_store_calls(api: DreamAPI, live: Live):
    waiting = live.route_missing("GET", "/api/products")
    if waiting:
        pytest.skip(waiting)
    products = api.products.list()
    assert all(isinstance(p.price, int) and isinstance(p.sold_out, bool) for p in products)
    waiting = live.route_missing("GET", "/api/orders")
    if waiting:
        pytest.skip(waiting)
    page = api.orders.list(limit=5)
    assert len(list(api.orders.iterate(limit=2))) >= len(page)


def test_dashboard_calls(api: DreamAPI, live: Live):
    waiting = live.route_missing("GET", "/api/dashboard") or live.route_missing("GET", "/api/dashboard/totals")
    if waiting:
        pytest.skip(waiting)
    metrics = api.dashboard.get()
    assert metrics.raw["activeSubscriptions"] == metrics.active_subscriptions
    assert isinstance(metrics.raw["webhookStatus"], dict)
    totals = api.dashboard.get_totals()
    assert totals.total_customers >= 1


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
            signed_in = await api.auth.refresh(customer_id=customer.id)
            assert (await api.usage.check(user_token=signed_in.token)).usage_count == 2
            assert (await api.auth.revoke(customer_id=customer.id)).success
            assert (await api.customers.delete(customer.id)).success
            with pytest.raises(DreamAPIError):
                await api.customers.get(customer.id)

    asyncio.run(journey())
