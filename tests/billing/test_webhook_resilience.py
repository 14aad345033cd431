"""The Connect webhook under bad input and a broker outage: never a 500, nothing half-stored, and
no event lost (it stays pending and is queued again)."""

from __future__ import annotations

import json
import logging
import time

import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone

from billing.models import StripeEvent
from billing.services.events import stripe_events_requeue_stale
from dreamapi.celery import app as celery_app

from .test_webhooks import an_event, post_event, signed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _secret(settings):
    from .conftest import CONNECT_SECRET

    settings.STRIPE_CONNECT_WEBHOOK_SECRETS = [CONNECT_SECRET]


def post_raw(payload: bytes):
    return Client().post("/webhook/stripe", data=payload, content_type="application/json",
                         HTTP_STRIPE_SIGNATURE=signed(payload))


@pytest.mark.parametrize("payload", [
    # a NUL inside a string, escaped as JSON allows
    json.dumps(an_event("evt_nul")).replace('"sub_x"', '"sub\\u0000x"').encode(),
    # a lone UTF-16 surrogate
    json.dumps(an_event("evt_surrogate")).replace('"sub_x"', '"\\ud800"').encode(),
    # a raw NUL byte
    json.dumps(an_event("evt_rawnul")).replace('"sub_x"', '"sub\x00x"').encode(),
    # a number that overflows to infinity
    json.dumps(an_event("evt_inf")).replace('"created": ', '"created": 1e999, "x": ').encode(),
    # nesting deeper than anything Stripe sends
    json.dumps(an_event("evt_deep")).replace('"sub_x"', "[" * 5000 + "]" * 5000).encode(),
])
def test_a_signed_webhook_with_text_we_cannot_store_is_400_and_stores_nothing(payload):
    response = post_raw(payload)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_payload"
    assert StripeEvent.objects.count() == 0


@pytest.mark.parametrize("changes,field", [
    ({"id": "evt_" + "x" * 300}, "id"),
    ({"type": "customer." + "x" * 120}, "type"),
    ({"account": "acct_" + "x" * 300}, "account"),
    ({"id": 12345}, "id"),
    ({"id": ""}, "id"),
    ({"type": None}, "type"),
    ({"livemode": "yes"}, "livemode"),
])
def test_a_signed_event_with_fields_too_long_or_of_the_wrong_type_is_400(changes, field):
    response = post_raw(json.dumps({**an_event(), **changes}).encode())
    assert response.status_code == 400, response.content
    assert f"'{field}'" in response.json()["message"]
    assert StripeEvent.objects.count() == 0


def test_a_255_character_event_id_is_stored():
    event_id = "evt_" + "x" * 251
    assert post_event(an_event(event_id)).status_code == 200
    assert StripeEvent.objects.filter(stripe_event_id=event_id).exists()


@pytest.fixture
def broker_down():
    """Celery publishes to a broker nobody listens on (as when Redis is down): the task is not run
    in-process (CELERY_TASK_ALWAYS_EAGER is off) but sent, and sending fails."""
    conf, amqp = celery_app.conf, celery_app.amqp
    saved = conf.broker_url, conf.task_always_eager, celery_app._pool, amqp._producer_pool
    conf.broker_url, conf.task_always_eager = "redis://127.0.0.1:1/0", False
    # Connection pools are cached on first use: start from none, so the dead address is used.
    celery_app._pool = amqp._producer_pool = None
    yield
    conf.broker_url, conf.task_always_eager, celery_app._pool, amqp._producer_pool = saved


def test_with_the_broker_down_the_event_is_stored_answered_200_and_queued_when_stripe_retries(
        broker_down, caplog):
    caplog.set_level(logging.WARNING, logger="billing.services.events")
    started = time.monotonic()
    response = post_event(an_event("evt_broker", account="acct_nobody"))
    assert response.status_code == 200, response.content
    assert response.json() == {"received": True, "id": "evt_broker", "duplicate": False}
    assert time.monotonic() - started < 10  # Stripe waits up to 20 s for an answer
    event = StripeEvent.objects.get(stripe_event_id="evt_broker")
    assert (event.status, event.attempts) == ("pending", 0)
    assert "evt_broker" not in caplog.text and f"stripe event {event.pk} stored but not queued" in caplog.text

    # Stripe delivers it again while the broker is still down: still 200, still pending, not lost.
    assert post_event(an_event("evt_broker", account="acct_nobody")).status_code == 200
    assert StripeEvent.objects.get(pk=event.pk).status == "pending"

    # The broker is back (tasks run eagerly here): the next delivery of the pending event queues it.
    celery_app.conf.task_always_eager = True
    assert post_event(an_event("evt_broker", account="acct_nobody")).json()["duplicate"] is True
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("ignored", 1)


def test_an_event_that_was_never_queued_is_queued_by_the_stale_event_requeue():
    event = StripeEvent.objects.create(stripe_event_id="evt_lost", type="customer.subscription.updated",
                                       account_id="acct_nobody", payload=an_event("evt_lost"))
    StripeEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timezone.timedelta(minutes=20))
    assert stripe_events_requeue_stale() == 1
    assert StripeEvent.objects.get(pk=event.pk).status == "ignored"  # processed (nobody has the account)


def test_the_stale_requeue_goes_by_the_claim_time_not_the_arrival():
    old = timezone.now() - timezone.timedelta(hours=2)
    busy = StripeEvent.objects.create(stripe_event_id="evt_busy", type="invoice.paid", account_id="acct_nobody",
                                      payload=an_event("evt_busy"), status="processing", attempts=1)
    dead = StripeEvent.objects.create(stripe_event_id="evt_dead", type="invoice.paid", account_id="acct_nobody",
                                      payload=an_event("evt_dead"), status="processing", attempts=1)
    # Both arrived long ago; "busy" was replayed and claimed a minute ago, "dead" 20 minutes ago.
    StripeEvent.objects.update(received_at=old)
    StripeEvent.objects.filter(pk=busy.pk).update(claimed_at=timezone.now() - timezone.timedelta(minutes=1))
    StripeEvent.objects.filter(pk=dead.pk).update(claimed_at=timezone.now() - timezone.timedelta(minutes=20))
    assert stripe_events_requeue_stale() == 1
    busy.refresh_from_db()
    dead.refresh_from_db()
    assert (busy.status, busy.attempts) == ("processing", 1)  # its worker is still on it
    assert (dead.status, dead.attempts) == ("ignored", 2)  # taken over
    assert dead.claimed_at > timezone.now() - timezone.timedelta(minutes=1)


def test_processing_records_when_the_event_was_claimed():
    post_event(an_event("evt_claim", account="acct_nobody"))
    event = StripeEvent.objects.get(stripe_event_id="evt_claim")
    assert event.claimed_at is not None and event.claimed_at >= event.received_at
    assert StripeEvent.objects.filter(pk=event.pk, claimed_at__gte=F("received_at")).exists()
