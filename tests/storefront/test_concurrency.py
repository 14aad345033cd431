"""Never oversell: many carts race over real HTTP (a threaded live server, one database
connection per request) for fewer units than they want, on PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application
from django.db import connection

from storefront.models import Order, Product, Reservation

from .conftest import connect_account, create_product, pay, stripe_post, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the concurrency guarantee is tested on PostgreSQL"),
]


class _WideServer(ThreadedWSGIServer):
    """The live server's kind, with a listen backlog for every racing connection at once
    (Django's default of 10 resets the rest before they are even accepted)."""

    request_queue_size = 256


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def racing_server():
    server = _WideServer(("127.0.0.1", 0), _QuietHandler, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def race(base_url: str, key: str, carts: list[list[dict]]) -> list[requests.Response]:
    start = threading.Barrier(len(carts))

    def attempt(items):
        start.wait()
        return requests.post(f"{base_url}/api/cart/checkout", json={"items": items}, timeout=120,
                             headers={"Authorization": f"Bearer {key}"})

    with ThreadPoolExecutor(max_workers=len(carts)) as pool:
        return list(pool.map(attempt, carts))


def test_k_units_and_many_more_concurrent_carts_hold_exactly_k(alice, standin, racing_server):
    k, n = 5, 40
    connect_account(alice, standin)
    lamp = create_product(alice, name="lamp", price=3000, inventory=k)
    responses = race(racing_server, alice.sk, [[{"priceId": lamp["priceId"], "quantity": 1}]] * n)

    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == k and statuses.count(409) == n - k, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_inventory"}
    product = Product.objects.get(pk=Product.objects.get(name="lamp").pk)
    assert (product.inventory, product.reserved, product.sold) == (k, k, 0)
    assert Reservation.objects.filter(status="open").count() == k and Reservation.objects.count() == k

    # Three are paid, two expire: the counts add up and every unit is accounted for.
    sessions = [r.json() for r in responses if r.status_code == 200]
    for body in sessions[:3]:
        assert pay(body["url"]).status_code == 303
    for body in sessions[3:]:
        stripe_post(standin, Reservation.objects.get(stripe_session_id=body["sessionId"]).stripe_account_id,
                    f"/v1/checkout/sessions/{body['sessionId']}/expire")
    wait_until(lambda: not Reservation.objects.filter(status="open").exists(), timeout=30)
    product.refresh_from_db()
    assert (product.inventory, product.reserved, product.sold) == (2, 0, 3)
    assert Order.objects.count() == 3 and product.inventory + product.sold == k
    assert Reservation.objects.filter(status="released", release_reason="expired").count() == 2


def test_multi_line_carts_hold_all_or_nothing_without_deadlocks(alice, standin, racing_server):
    connect_account(alice, standin)
    a = create_product(alice, name="a", price=100, inventory=4)
    b = create_product(alice, name="b", price=100, inventory=4)
    ab = [{"priceId": a["priceId"], "quantity": 1}, {"priceId": b["priceId"], "quantity": 1}]
    carts = [ab if i % 2 else list(reversed(ab)) for i in range(30)]  # both line orders race each other
    responses = race(racing_server, alice.sk, carts)
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 4 and statuses.count(409) == 26, statuses
    assert sorted(Product.objects.values_list("name", "reserved")) == [("a", 4), ("b", 4)]
