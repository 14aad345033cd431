"""Developer webhooks against a real local HTTPS receiver: signed deliveries (checked with the
documented algorithm), retries after 500s on the schedule, failure for good, replay, rotation,
and never a delivery to a private or loopback address."""

import hashlib
import hmac
import json
import socket
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from dreamapi import safehttp
from dreamapi.errors import ApiError
from webhooks import services
from webhooks.models import DeveloperEvent, WebhookAttempt, WebhookDelivery
from webhooks.services import (
    MAX_ATTEMPTS,
    RESPONSE_BODY_CAP,
    RETRY_DELAYS,
    developer_event_emit,
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_secret,
)
from webhooks.tasks import send_due_webhooks

pytestmark = pytest.mark.django_db


def documented_verify(header: str, body: bytes, secret: str, tolerance: int = 300) -> bool:
    """docs/webhooks.md's algorithm, written out independently of webhooks.signing."""
    parts = [item.split("=", 1) for item in header.split(",")]
    timestamp = int(next(value for name, value in parts if name == "t"))
    signatures = [value for name, value in parts if name == "v1"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return abs(time.time() - timestamp) <= tolerance and any(hmac.compare_digest(expected, s) for s in signatures)


def endpoint(tenant, receiver, types=("customer.created",), **kwargs):
    return webhook_endpoint_create(project=tenant.project, mode="test", url=receiver.url, event_types=list(types),
                                   **kwargs)


def create_customer(tenant, email="carol@example.com"):
    response = tenant.api().post("/api/customers", {"email": email}, format="json")
    assert response.status_code == 201
    return response.json()["customer"]


def test_a_delivery_is_signed_and_carries_the_event(alice, receiver, django_capture_on_commit_callbacks):
    hook = endpoint(alice, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        customer = create_customer(alice)
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got.path == "/dream-webhooks"
    assert got.headers["content-type"] == "application/json"
    assert documented_verify(got.headers["dreamapi-signature"], got.body, webhook_endpoint_secret(endpoint=hook))
    assert not documented_verify(got.headers["dreamapi-signature"], got.body + b" ", webhook_endpoint_secret(
        endpoint=hook))
    payload = json.loads(got.body)
    event = DeveloperEvent.objects.get()
    assert payload == {"id": event.public_id, "object": "event", "type": "customer.created",
                       "created": int(event.created_at.timestamp()), "mode": "test",
                       "projectId": alice.project.public_id, "data": {"customer": customer}}
    assert (got.headers["dreamapi-event-id"], got.headers["dreamapi-event-type"]) == (event.public_id,
                                                                                        "customer.created")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert got.headers["dreamapi-delivery-id"] == delivery.public_id
    assert WebhookAttempt.objects.get().response_body == '{"received": true}'


def test_a_signature_from_another_secret_or_too_old_does_not_verify(alice, receiver,
                                                                      django_capture_on_commit_callbacks):
    endpoint(alice, receiver)
    other = endpoint(alice, receiver, types=["customer.deleted"])
    with django_capture_on_commit_callbacks(execute=True):
        create_customer(alice)
    got = receiver.requests[0]
    assert not documented_verify(got.headers["dreamapi-signature"], got.body, webhook_endpoint_secret(endpoint=other))
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        hook_secret = webhook_endpoint_secret(endpoint=WebhookDelivery.objects.get().endpoint)
        assert not documented_verify(got.headers["dreamapi-signature"], got.body, hook_secret)


def test_500s_are_retried_on_the_schedule_until_a_2xx(alice, receiver, django_capture_on_commit_callbacks):
    receiver.statuses = [500, 502, 200]
    endpoint(alice, receiver)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            create_customer(alice)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at == start + timedelta(seconds=RETRY_DELAYS[0])
    with time_machine.travel(start + timedelta(seconds=RETRY_DELAYS[0] - 1), tick=False):
        assert send_due_webhooks() == 0  # not yet
    with time_machine.travel(start + timedelta(seconds=RETRY_DELAYS[0]), tick=False):
        assert send_due_webhooks() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 2, 502)
    second = start + timedelta(seconds=RETRY_DELAYS[0])
    with time_machine.travel(second + timedelta(seconds=RETRY_DELAYS[1]), tick=False):
        send_due_webhooks()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 3, 200)
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [500, 502, 200]
    assert len({r.body for r in receiver.requests}) == 1  # the same event each time
    assert all(documented_verify(r.headers["dreamapi-signature"], r.body, webhook_endpoint_secret(
        endpoint=delivery.endpoint), tolerance=10 ** 6) for r in receiver.requests)


def test_a_delivery_that_never_succeeds_fails_for_good_after_about_a_day(alice, receiver,
                                                                         django_capture_on_commit_callbacks):
    receiver.statuses = [500]
    endpoint(alice, receiver)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            create_customer(alice)
    at = start
    for delay in RETRY_DELAYS:
        at += timedelta(seconds=delay)
        with time_machine.travel(at, tick=False):
            send_due_webhooks()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert timedelta(hours=22) < at - start < timedelta(hours=25)
    assert "answered 500" in delivery.last_error
    with time_machine.travel(at + timedelta(days=2), tick=False):
        assert send_due_webhooks() == 0
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_a_replay_sends_the_same_event_again_as_a_new_delivery(alice, receiver, django_capture_on_commit_callbacks):
    receiver.statuses = [500]
    endpoint(alice, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        create_customer(alice)
    failed = WebhookDelivery.objects.get()
    receiver.statuses = [200]
    with django_capture_on_commit_callbacks(execute=True):
        replay = webhook_delivery_replay(delivery=failed)
    replay.refresh_from_db()
    assert (replay.status, replay.replay_of_id, replay.event_id) == ("succeeded", failed.pk, failed.event_id)
    assert receiver.requests[0].body == receiver.requests[1].body
    assert receiver.requests[1].headers["dreamapi-delivery-id"] == replay.public_id


def test_the_answer_kept_is_capped(alice, receiver, django_capture_on_commit_callbacks):
    receiver.answer = b"x" * (RESPONSE_BODY_CAP * 5)
    endpoint(alice, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        create_customer(alice)
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 200 and len(attempt.response_body) == RESPONSE_BODY_CAP
    assert WebhookDelivery.objects.get().status == "succeeded"


def test_after_a_rotation_both_secrets_sign_until_the_old_one_expires(alice, receiver,
                                                                      django_capture_on_commit_callbacks):
    hook = endpoint(alice, receiver)
    old = webhook_endpoint_secret(endpoint=hook)
    new = webhook_endpoint_rotate_secret(endpoint=hook)
    assert new != old and webhook_endpoint_secret(endpoint=hook) == new
    with django_capture_on_commit_callbacks(execute=True):
        create_customer(alice, "a@example.com")
    header = receiver.requests[-1].headers["dreamapi-signature"]
    assert header.count("v1=") == 2
    assert documented_verify(header, receiver.requests[-1].body, old)
    assert documented_verify(header, receiver.requests[-1].body, new)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        with django_capture_on_commit_callbacks(execute=True):
            create_customer(alice, "b@example.com")
        header = receiver.requests[-1].headers["dreamapi-signature"]
        assert header.count("v1=") == 1 and not documented_verify(header, receiver.requests[-1].body, old)
    webhook_endpoint_rotate_secret(endpoint=hook, overlap=timedelta(0))  # a leaked secret: dropped at once
    with django_capture_on_commit_callbacks(execute=True):
        create_customer(alice, "c@example.com")
    assert receiver.requests[-1].headers["dreamapi-signature"].count("v1=") == 1


def test_a_disabled_endpoint_and_other_events_get_nothing(alice, receiver, django_capture_on_commit_callbacks):
    hook = endpoint(alice, receiver, types=["customer.deleted"])
    with django_capture_on_commit_callbacks(execute=True):
        create_customer(alice)
    services.webhook_endpoint_update(endpoint=hook, url=hook.url, event_types=["customer.created"],
                                     thresholds=None, description="", enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        create_customer(alice, "b@example.com")
    assert receiver.requests == [] and not DeveloperEvent.objects.exists()


def test_an_event_nobody_listens_to_costs_no_query_and_keeps_nothing(alice, django_assert_num_queries):
    developer_event_emit(project_id=alice.project.id, mode="test", type="order.completed", data={})  # warms
    with django_assert_num_queries(0):
        developer_event_emit(project_id=alice.project.id, mode="test", type="order.completed", data={"x": 1})
    assert not DeveloperEvent.objects.exists()
    with pytest.raises(ValueError):
        developer_event_emit(project_id=alice.project.id, mode="test", type="order.shipped", data={})


def test_any_app_can_emit_order_completed(alice, receiver, django_capture_on_commit_callbacks):
    endpoint(alice, receiver, types=["order.completed"])
    with django_capture_on_commit_callbacks(execute=True):
        developer_event_emit(project_id=alice.project.id, mode="test", type="order.completed",
                             data={"orderId": "ord_1", "amount": 1200, "currency": "usd"})
    assert json.loads(receiver.requests[0].body)["data"] == {"orderId": "ord_1", "amount": 1200, "currency": "usd"}


def test_a_dedupe_key_makes_an_event_happen_once(alice, receiver, django_capture_on_commit_callbacks):
    endpoint(alice, receiver, types=["order.completed"])
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            developer_event_emit(project_id=alice.project.id, mode="test", type="order.completed", data={},
                                 dedupe_key="order.completed:ord_1")
    assert len(receiver.requests) == 1


# --- never to our own network -------------------------------------------------------------------


@pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "https://10.0.0.5/hook", "https://169.254.169.254/x",
                                 "https://[::1]/hook", "http://hooks.example.com/hook", "ftp://x.example/hook"])
def test_an_endpoint_on_a_private_or_plain_address_is_refused(alice, url, settings):
    settings.SAFEHTTP_ALLOW_LOOPBACK = False
    with pytest.raises(ApiError) as refused:
        webhook_endpoint_create(project=alice.project, mode="test", url=url, event_types=["customer.created"])
    assert refused.value.code == "invalid_webhook_url"


def test_a_name_that_turns_private_after_saving_is_never_reached(alice, receiver, settings, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    """DNS rebinding: public when the endpoint is saved, loopback when the delivery goes out."""
    settings.SAFEHTTP_ALLOW_LOOPBACK = False
    answers = iter(["93.184.215.14"] + ["127.0.0.1"] * 20)

    def resolver(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(safehttp.socket, "getaddrinfo", resolver)
    endpoint(alice, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        create_customer(alice)
    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []
    assert (delivery.status, delivery.last_status_code) == ("pending", None)
    assert "not on the public internet" in delivery.last_error


@pytest.mark.parametrize("given,code", [
    ({"event_types": []}, "invalid_event_types"),
    ({"event_types": ["usage.exploded"]}, "invalid_event_types"),
    ({"event_types": ["usage.threshold_reached"], "thresholds": []}, "invalid_thresholds"),
    ({"event_types": ["usage.threshold_reached"], "thresholds": [0]}, "invalid_thresholds"),
    ({"event_types": ["usage.threshold_reached"], "thresholds": [101]}, "invalid_thresholds"),
])
def test_endpoint_settings_are_checked(alice, receiver, given, code):
    with pytest.raises(ApiError) as refused:
        webhook_endpoint_create(project=alice.project, mode="test", url=receiver.url, **given)
    assert refused.value.code == code


def test_history_older_than_90_days_is_swept_unless_still_retried(alice, receiver,
                                                                  django_capture_on_commit_callbacks):
    from webhooks.services import webhook_history_sweep
    from webhooks.tasks import sweep_webhook_history

    endpoint(alice, receiver)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            create_customer(alice, "done@example.com")
        receiver.statuses = [500]
        with django_capture_on_commit_callbacks(execute=True):
            create_customer(alice, "retrying@example.com")
    assert DeveloperEvent.objects.count() == 2
    with time_machine.travel(start + timedelta(days=89), tick=False):
        assert sweep_webhook_history() == 0
    WebhookDelivery.objects.filter(status="pending").update(next_attempt_at=start + timedelta(days=100))
    with time_machine.travel(start + timedelta(days=91), tick=False):
        assert webhook_history_sweep() == 1  # the delivered one; the one still retried stays
    assert [d.status for d in WebhookDelivery.objects.all()] == ["pending"]
    assert WebhookAttempt.objects.filter(delivery__status="succeeded").count() == 0
