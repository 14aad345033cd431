"""The client's behaviour against scripted answers (httpx.MockTransport): no server needed."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import datetime, timezone

import httpx
import pytest

from dreamapi import AsyncDreamAPI, DreamAPI, DreamAPIError, parse_retry_after

USAGE = {"userId": "usr_1", "plan": "free", "usageCount": 1, "limit": 10, "remaining": 9,
         "periodStart": "2026-11-01T00:00:00Z", "periodEnd": "2026-12-01T00:00:00Z"}


class Script:
    """Answers requests from a queue and records them (with the time they arrived)."""

    def __init__(self, *answers: httpx.Response | Callable[[httpx.Request], httpx.Response]) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[float, httpx.Request]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((time.monotonic(), request))
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer

    def client(self, **kwargs: object) -> DreamAPI:
        options = {"base_url": "https://api.test", **kwargs}
        return DreamAPI("sk_test_x", http_client=httpx.Client(transport=httpx.MockTransport(self)), **options)  # type: ignore[arg-type]


def error(status: int, code: str, headers: dict[str, str] | None = None, **extra: object) -> httpx.Response:
    return httpx.Response(status, json={"error": code.replace("_", " ").title(), "message": f"{code}!", "code": code,
                                        **extra}, headers=headers)


def test_a_429_is_retried_after_its_retry_after():
    script = Script(error(429, "rate_limited", {"Retry-After": "1"}), httpx.Response(200, json={"success": True, "usage": USAGE}))
    result = script.client().usage.track(user_id="usr_1")
    assert result.usage.usage_count == 1
    assert len(script.requests) == 2
    assert script.requests[1][0] - script.requests[0][0] >= 0.95


def test_a_503_is_retried_then_raised_with_its_body():
    script = Script(*(error(503, "service_unavailable") for _ in range(3)))
    with pytest.raises(DreamAPIError) as caught:
        script.client(max_retries=2, max_retry_delay=0.05).customers.get("usr_1")
    assert caught.value.status == 503
    assert caught.value.code == "service_unavailable"
    assert caught.value.body["message"] == "service_unavailable!"
    assert len(script.requests) == 3


def test_a_retry_after_beyond_the_maximum_fails_at_once():
    script = Script(error(429, "rate_limited", {"Retry-After": "120"}))
    with pytest.raises(DreamAPIError) as caught:
        script.client(max_retry_delay=5).usage.check(user_id="usr_1")
    assert caught.value.retry_after == 120
    assert len(script.requests) == 1


def test_the_limit_error_is_not_retried_and_carries_the_usage():
    script = Script(error(403, "tier_limit_reached", usage=USAGE))
    with pytest.raises(DreamAPIError) as caught:
        script.client().usage.track(user_id="usr_1")
    assert caught.value.is_limit_reached
    assert caught.value.status == 403
    assert caught.value.body["usage"]["usageCount"] == 1
    assert caught.value.usage is not None and caught.value.usage.usage_count == 1
    assert len(script.requests) == 1


def test_none_means_unlimited_and_a_left_out_argument_changes_nothing():
    product = {"id": "prd_1", "name": "mug", "price": 900, "inventory": None, "stock": None}
    tier = {"id": "max", "name": "max", "displayName": "Max", "price": 0, "limit": None}
    script = Script(*(httpx.Response(200, json={"success": True, "product": product}) for _ in range(2)),
                    *(httpx.Response(200, json={"success": True, "tier": tier}) for _ in range(2)))
    api = script.client()
    api.products.update("prd_1", price=1000)
    api.products.update("prd_1", inventory=None)
    api.products.update_tier("max", display_name="Max")
    api.products.update_tier("max", limit=None)
    bodies = [json.loads(request.content) for _, request in script.requests]
    assert bodies == [{"price": 1000}, {"inventory": None}, {"displayName": "Max"}, {"limit": None}]


def test_an_image_is_sent_as_multipart_with_its_type():
    product = {"id": "prd_1", "name": "mug", "price": 900, "imageUrl": "https://api.test/api/assets/prj_1/a.png"}
    script = Script(httpx.Response(200, json={"success": True, "product": product}))
    uploaded = script.client().products.upload_image("prd_1", b"\x89PNG...", filename="mug.png")
    assert uploaded.image_url.endswith("/a.png")
    (_, request), = script.requests
    assert request.url.path == "/api/products/prd_1/image"
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    body = request.read()
    assert b'name="image"; filename="mug.png"' in body and b"Content-Type: image/png" in body


def test_a_dropped_connection_is_retried_only_for_replay_safe_calls():
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection reset", request=request)

    script = Script(drop)
    with pytest.raises(DreamAPIError) as caught:
        script.client().billing.create_checkout(tier="pro", user_id="usr_1")
    assert (caught.value.status, caught.value.code) == (0, "network_error")
    assert len(script.requests) == 1

    script = Script(drop, httpx.Response(200, json={"url": "https://pay", "sessionId": "cs_1"}))
    result = script.client(max_retry_delay=0.05).billing.create_checkout(tier="pro", user_id="usr_1",
                                                                          idempotency_key="order-7")
    assert result.session_id == "cs_1"
    assert [r.headers["Idempotency-Key"] for _, r in script.requests] == ["order-7", "order-7"]


def test_a_timeout_is_a_dreamapi_error_with_code_timeout():
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    script = Script(slow)
    with pytest.raises(DreamAPIError) as caught:
        script.client(max_retries=0).products.list_tiers()
    assert (caught.value.status, caught.value.code) == (0, "timeout")


def test_headers_body_and_naming_the_end_user():
    script = Script(httpx.Response(200, json={"success": True, "usage": USAGE}))
    script.client().usage.track(user_id="usr_42", feature="exports", amount=3, idempotency_key="k1")
    request = script.requests[0][1]
    assert request.headers["Authorization"] == "Bearer sk_test_x"
    assert request.headers["X-User-Id"] == "usr_42"
    assert request.headers["Idempotency-Key"] == "k1"
    assert json.loads(request.content) == {"feature": "exports", "amount": 3}

    browser = DreamAPI(publishable_key="pk_test_x", base_url="https://api.test")
    with pytest.raises(DreamAPIError) as caught:
        browser.usage.track(user_id="usr_1")
    assert caught.value.code == "secret_key_required"


def test_change_plan_sends_the_tier_for_the_end_user_and_reads_what_changed():
    answer = {"success": True, "changed": "now", "plan": "pro", "previousPlan": "basic", "pendingPlan": None,
              "effectiveAt": "2026-11-15T10:00:00Z", "amountCharged": 250, "currency": "usd", "invoiceId": "in_1",
              "subscription": {"id": "sub_1", "status": "active", "currentPeriodEnd": "2026-12-01T00:00:00Z",
                               "cancelAtPeriodEnd": False, "trialEnd": None}}
    script = Script(httpx.Response(200, json=answer))
    change = script.client().billing.change_plan(tier="pro", user_id="usr_42", idempotency_key="up-1")
    request = script.requests[0][1]
    assert (request.method, request.url.path) == ("POST", "/api/change-plan")
    assert json.loads(request.content) == {"tier": "pro"}
    assert (request.headers["X-User-Id"], request.headers["Idempotency-Key"]) == ("usr_42", "up-1")
    assert (change.changed, change.plan, change.previous_plan, change.pending_plan) == ("now", "pro", "basic", None)
    assert (change.amount_charged, change.currency, change.invoice_id) == (250, "usd", "in_1")
    assert change.effective_at == datetime(2026, 11, 15, 10, tzinfo=timezone.utc)
    assert change.subscription is not None and change.subscription.status == "active"
    assert change.subscription.current_period_end == datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert change.subscription.trial_end is None

    refused = Script(error(409, "checkout_required"))
    with pytest.raises(DreamAPIError) as caught:
        refused.client().billing.change_plan(tier="pro", user_id="usr_1")
    assert (caught.value.status, caught.value.code) == (409, "checkout_required")
    assert len(refused.requests) == 1  # a 409 is not retried


def test_iterate_follows_pages_until_has_more_is_false():
    def page(number: int, has_more: bool) -> httpx.Response:
        customers = [{"id": f"usr_{number}{i}", "email": f"{number}{i}@x.test", "plan": "free"} for i in range(2)]
        return httpx.Response(200, json={"customers": customers,
                                         "pagination": {"page": number, "limit": 2, "total": 4, "hasMore": has_more}})

    script = Script(page(1, True), page(2, False))
    ids = [c.id for c in script.client().customers.iterate(limit=2)]
    assert ids == ["usr_10", "usr_11", "usr_20", "usr_21"]
    assert [r.url.params["page"] for _, r in script.requests] == ["1", "2"]


def test_the_async_client_retries_and_iterates_the_same_way():
    answers = [error(429, "rate_limited", {"Retry-After": "0"}), httpx.Response(200, json={"success": True, "usage": USAGE})]

    async def run() -> int:
        seen: list[httpx.Request] = []

        async def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return answers.pop(0)

        async with AsyncDreamAPI("sk_test_x", base_url="https://api.test",
                                 http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler))) as api:
            result = await api.usage.track(user_id="usr_1")
        assert result.usage.remaining == 9
        return len(seen)

    assert asyncio.run(run()) == 2


def test_models_read_the_contract_and_dream_apis_earlier_shapes():
    from dreamapi.models import Customer, DeleteResult, Tier, Usage

    old = Usage.from_api({"count": 3, "limit": None, "remaining": None, "periodStart": "2026-11-01T00:00:00Z",
                          "periodEnd": "2026-12-01T00:00:00Z"})
    assert (old.usage_count, old.count, old.limit, old.unlimited) == (3, 3, None, True)
    new = Usage.from_api({**USAGE, "limit": "unlimited", "remaining": "unlimited"})
    assert (new.user_id, new.unlimited, new.period_end) == ("usr_1", True, datetime(2026, 12, 1, tzinfo=timezone.utc))

    assert Customer.from_api({"createdAt": 1767225600000}).created_at == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert Customer.from_api({"createdAt": "2026-01-01T00:00:00Z"}).created_at == datetime(2026, 1, 1, tzinfo=timezone.utc)

    before = Tier.from_api({"id": "pro", "name": "Pro", "price": 900, "limit": 10, "priceId": "price_1"})
    after = Tier.from_api({"name": "pro", "displayName": "Pro", "price": 900, "limit": -1, "priceId": "price_1",
                           "productId": "prod_1"})
    assert (before.name, before.display_name) == (after.name, after.display_name) == ("pro", "Pro")
    assert after.limit is None and after.product_id == "prod_1"

    deleted = DeleteResult.from_api({"success": True, "deleted": {"id": "usr_1", "email": "a@x.test", "externalId": "u1"}})
    assert (deleted.deleted_email, deleted.deleted.external_id) == ("a@x.test", "u1")
    assert DeleteResult.from_api({"success": True, "deleted": True, "id": "usr_1"}).deleted_id == "usr_1"
    assert Customer.from_api({"id": "usr_1", "futureField": 1}).raw["futureField"] == 1


def test_retry_after_as_seconds_or_an_http_date():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:05 GMT", now) == 5
    assert parse_retry_after("3", now) == 3
    assert parse_retry_after("soon", now) is None


def test_the_hosted_page_urls():
    api = DreamAPI(publishable_key="pk_test_abc", base_url="https://api.example.com/")
    redirect = "https://app.example.test/cb"
    query = "pk=pk_test_abc&redirect=https%3A%2F%2Fapp.example.test%2Fcb"
    assert api.auth.get_sign_up_url(redirect) == f"https://api.example.com/signup?{query}"
    assert api.auth.get_sign_in_url(redirect) == f"https://api.example.com/signin?{query}"
    assert api.auth.get_customer_portal_url(redirect) == f"https://api.example.com/account?{query}"
    assert api.auth.get_refresh_url(redirect) == f"https://api.example.com/refresh?{query}"
    with pytest.raises(ValueError):
        DreamAPI("sk_test_x", base_url="https://api.example.com").auth.get_sign_in_url(redirect)
    with pytest.raises(ValueError):
        DreamAPI(base_url="https://api.example.com")
