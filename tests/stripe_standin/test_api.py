"""The REST subset, driven through stripe-python's StripeClient over real HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
import stripe

from stripe_standin import StandinServer

from .conftest import make_client


def _price(client: stripe.StripeClient, **extra: object) -> stripe.Price:
    params = {"product_data": {"name": "Pro"}, "unit_amount": 1200, "currency": "usd",
              "recurring": {"interval": "month"}, **extra}
    return client.v1.prices.create(params=params)  # type: ignore[arg-type]


def test_account_of_the_key(client: stripe.StripeClient, standin: StandinServer) -> None:
    account = client.v1.accounts.retrieve_current()
    assert isinstance(account, stripe.Account)
    assert account.id == standin.platform_account_id
    assert client.v1.accounts.retrieve(account.id).id == account.id


def test_create_product_price_customer(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "Pro plan", "description": "All features",
                                                "metadata": {"tier": "pro"}})
    assert isinstance(product, stripe.Product)
    assert product.id.startswith("prod_") and product.livemode is False and product.active is True
    assert product.metadata.to_dict() == {"tier": "pro"}

    price = client.v1.prices.create(params={
        "product": product.id, "unit_amount": 1500, "currency": "EUR", "recurring": {"interval": "year"},
        "nickname": "Yearly", "lookup_key": "pro_yearly", "metadata": {"a": "b"},
    })
    assert isinstance(price, stripe.Price)
    assert (price.unit_amount, price.currency, price.type, price.product) == (1500, "eur", "recurring", product.id)
    assert (price.recurring.interval, price.recurring.interval_count) == ("year", 1)
    assert price.unit_amount_decimal == Decimal("1500")
    assert client.v1.prices.retrieve(price.id, params={"expand": ["product"]}).product.name == "Pro plan"

    one_time = client.v1.prices.create(params={"product": product.id, "unit_amount": 500, "currency": "usd"})
    assert one_time.type == "one_time" and one_time.recurring is None

    customer = client.v1.customers.create(params={"email": "ann@example.com", "name": "Ann",
                                                  "metadata": {"user_id": "7"}})
    assert customer.id.startswith("cus_") and customer.email == "ann@example.com"
    assert customer.invoice_settings.default_payment_method is None

    updated = client.v1.customers.update(customer.id, params={"name": "Ann B", "metadata": {"user_id": ""}})
    assert updated.name == "Ann B" and updated.metadata.to_dict() == {}
    found = client.v1.customers.list(params={"email": "ann@example.com"})
    assert [c.id for c in found.data] == [customer.id]
    assert client.v1.customers.list(params={"email": "nobody@example.com"}).data == []

    deleted = client.v1.customers.delete(customer.id)
    assert deleted.deleted is True
    assert client.v1.customers.retrieve(customer.id).deleted is True

    renamed = client.v1.products.update(product.id, params={"name": "Pro", "active": False})
    assert (renamed.name, renamed.active) == ("Pro", False)


def test_prices_are_immutable(client: stripe.StripeClient) -> None:
    price = _price(client)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.prices.update(price.id, params={"unit_amount": 999})  # type: ignore[typeddict-unknown-key]
    assert (info.value.code, info.value.param, info.value.http_status) == ("parameter_unknown", "unit_amount", 400)
    updated = client.v1.prices.update(price.id, params={"active": False, "nickname": "Old", "metadata": {"k": "v"}})
    assert (updated.active, updated.nickname, updated.unit_amount) == (False, "Old", 1200)
    assert client.v1.prices.list(params={"active": True}).data == []
    assert [p.id for p in client.v1.prices.list(params={"active": False, "type": "recurring"}).data] == [price.id]


def test_list_pagination(client: stripe.StripeClient) -> None:
    ids = [client.v1.products.create(params={"name": f"P{i}"}).id for i in range(5)]
    newest_first = list(reversed(ids))
    page = client.v1.products.list(params={"limit": 2})
    assert page.object == "list" and page.url == "/v1/products" and page.has_more is True
    assert [p.id for p in page.data] == newest_first[:2]
    second = client.v1.products.list(params={"limit": 2, "starting_after": page.data[-1].id})
    assert [p.id for p in second.data] == newest_first[2:4]
    last = client.v1.products.list(params={"limit": 2, "starting_after": second.data[-1].id})
    assert [p.id for p in last.data] == newest_first[4:] and last.has_more is False
    before = client.v1.products.list(params={"limit": 2, "ending_before": newest_first[3]})
    assert [p.id for p in before.data] == newest_first[1:3] and before.has_more is True
    assert [p.id for p in client.v1.products.list(params={"limit": 2}).auto_paging_iter()] == newest_first
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.products.list(params={"limit": 0})
    assert info.value.param == "limit"


def test_stripe_account_isolation(client: stripe.StripeClient, connected_account: str) -> None:
    other = client.v1.accounts.create(params={"type": "standard"}).id
    in_a = {"stripe_account": connected_account}
    product = client.v1.products.create(params={"name": "A's product"}, options=in_a)
    price = client.v1.prices.create(params={"product": product.id, "unit_amount": 100, "currency": "usd"},
                                    options=in_a)
    assert client.v1.products.retrieve(product.id, options=in_a).id == product.id
    for options in ({"stripe_account": other}, {}):  # another account, and the platform itself
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.products.retrieve(product.id, options=options)  # type: ignore[arg-type]
        assert (info.value.http_status, info.value.code) == (404, "resource_missing")
        assert client.v1.products.list(options=options).data == []  # type: ignore[arg-type]
    # a price of account A cannot be used to sell from account B
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(
            params={"mode": "payment", "line_items": [{"price": price.id, "quantity": 1}],
                    "success_url": "https://shop.example/ok"},
            options={"stripe_account": other})
    assert (info.value.code, info.value.param) == ("resource_missing", "line_items[0][price]")
    assert client.v1.accounts.retrieve_current(options=in_a).id == connected_account
    with pytest.raises(stripe.PermissionError):
        client.v1.products.list(options={"stripe_account": "acct_doesnotexist00"})


def test_idempotency_key_replays(client: stripe.StripeClient) -> None:
    first = client.v1.customers.create(params={"email": "once@example.com"}, options={"idempotency_key": "k-1"})
    again = client.v1.customers.create(params={"email": "once@example.com"}, options={"idempotency_key": "k-1"})
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(client.v1.customers.list().data) == 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create(params={"email": "other@example.com"}, options={"idempotency_key": "k-1"})
    # keys are scoped per account: the same key in a connected account is a new request
    acct = client.v1.accounts.create(params={"type": "standard"}).id
    elsewhere = client.v1.customers.create(params={"email": "once@example.com"},
                                           options={"idempotency_key": "k-1", "stripe_account": acct})
    assert elsewhere.id != first.id


def test_idempotency_keys_longer_than_255_characters_are_refused(client: stripe.StripeClient) -> None:
    assert client.v1.customers.create(options={"idempotency_key": "k" * 255}).id.startswith("cus_")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.create(options={"idempotency_key": "k" * 256})
    assert info.value.http_status == 400 and "255" in str(info.value.user_message)
    assert len(client.v1.customers.list().data) == 1


def test_the_request_log_lists_what_was_called(client: stripe.StripeClient, standin: StandinServer,
                                               connected_account: str) -> None:
    client.v1.products.list(options={"stripe_account": connected_account})
    client.v1.customers.create(params={"email": "x@example.com"})
    assert standin.requests()[-2:] == [
        {"method": "GET", "path": "/v1/products", "account": connected_account},
        {"method": "POST", "path": "/v1/customers", "account": None},
    ]
    assert requests.get(f"{standin.url}/_standin/requests").json()["requests"] == standin.requests()


def test_error_types(client: stripe.StripeClient, standin: StandinServer) -> None:
    with pytest.raises(stripe.AuthenticationError):
        make_client(standin, "not_a_key").v1.customers.list()
    response = requests.get(standin.url + "/v1/customers")
    assert response.status_code == 401 and response.json()["error"]["type"] == "invalid_request_error"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.prices.create(params={"product_data": {"name": "X"}, "currency": "usd"})
    assert (info.value.code, info.value.param) == ("parameter_missing", "unit_amount")
    raw = requests.post(standin.url + "/v1/prices", headers={"Authorization": "Bearer sk_test_x"},
                        data={"product_data[name]": "X", "currency": "usd", "unit_amount": "12.5"})
    assert raw.status_code == 400
    assert raw.json()["error"]["code"] == "parameter_invalid_integer"
    assert raw.json()["error"]["param"] == "unit_amount"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.create(params={"emial": "typo@example.com"})  # type: ignore[typeddict-unknown-key]
    assert (info.value.code, info.value.param) == ("parameter_unknown", "emial")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscriptions.retrieve("sub_missing")
    assert info.value.http_status == 404 and "No such subscription" in str(info.value.user_message)


def test_livemode_follows_the_key(standin: StandinServer) -> None:
    live = make_client(standin, "sk_live_standin")
    test = make_client(standin, "sk_test_standin")
    product = live.v1.products.create(params={"name": "Live"})
    assert product.livemode is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        test.v1.products.retrieve(product.id)
    assert "live mode" in str(info.value.user_message)


def test_checkout_validation_and_expand(client: stripe.StripeClient) -> None:
    monthly = _price(client)
    one_time = client.v1.prices.create(params={"product": monthly.product, "unit_amount": 300, "currency": "usd"})
    customer = client.v1.customers.create(params={"email": "c@example.com"})
    base = {"success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/cancel"}

    cases = [
        ({"mode": "payment", "line_items": [{"price": monthly.id, "quantity": 1}]}, "line_items[0][price]"),
        ({"mode": "subscription", "line_items": [{"price": one_time.id, "quantity": 1}]}, "line_items[0][price]"),
        ({"mode": "subscription", "line_items": [{"price": monthly.id}]}, "line_items[0][quantity]"),
        ({"mode": "subscription"}, "line_items"),
        ({"mode": "subscription", "line_items": [{"price": monthly.id, "quantity": 1}],
          "customer": customer.id, "customer_email": "x@example.com"}, "customer_email"),
        ({"mode": "subscription", "line_items": [{"price": monthly.id, "quantity": 1}],
          "customer": "cus_missing"}, "customer"),
    ]
    for params, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.checkout.sessions.create(params={**base, **params})  # type: ignore[arg-type]
        assert info.value.param == param, params

    client.v1.prices.update(one_time.id, params={"active": False})
    with pytest.raises(stripe.InvalidRequestError, match="inactive"):
        client.v1.checkout.sessions.create(params={**base, "mode": "payment",  # type: ignore[arg-type]
                                                   "line_items": [{"price": one_time.id, "quantity": 1}]})

    session = client.v1.checkout.sessions.create(params={
        **base, "mode": "subscription", "customer": customer.id, "client_reference_id": "user-7",
        "line_items": [{"price": monthly.id, "quantity": 2}], "expand": ["customer", "line_items"],
    })  # type: ignore[arg-type]
    assert isinstance(session, stripe.checkout.Session)
    assert (session.status, session.payment_status, session.amount_total) == ("open", "unpaid", 2400)
    assert session.id.startswith("cs_test_") and session.url.endswith(f"/checkout/{session.id}")
    assert session.customer.email == "c@example.com"
    assert session.line_items.data[0].price.id == monthly.id and session.line_items.data[0].quantity == 2
    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert [li.amount_total for li in items.data] == [2400]
    listed = client.v1.checkout.sessions.list(params={"customer": customer.id, "expand": ["data.customer"]})
    assert listed.data[0].customer.id == customer.id
    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)
