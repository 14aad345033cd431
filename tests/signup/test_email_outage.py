"""Issue 8 item 9 (e-mail part): with the Celery broker down, hosted pages still answer, the
e-mail is kept (encrypted), and the periodic task sends it later."""

import socket
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from dreamapi.celery import app as celery_app
from signup import crypto, tasks
from signup.models import UnsentEmail

from .conftest import PASSWORD, hosted_url, link_from_outbox, relative, verified_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_broker():
    """The broker URL points at a port nobody listens on, and tasks really go through it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    conf, amqp = celery_app.conf, celery_app.amqp
    saved = (conf.broker_url, conf.task_always_eager, celery_app._pool, amqp._producer_pool)
    conf.broker_url = f"redis://127.0.0.1:{port}/0"
    conf.task_always_eager = False
    # Connection and producer pools are made on first use from the broker URL of the time.
    celery_app._pool = amqp._producer_pool = None
    try:
        yield
    finally:
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        conf.broker_url, conf.task_always_eager, celery_app._pool, amqp._producer_pool = saved


PAGES = {
    "signup": ("/signup", {"email": "dana@example.com", "password": PASSWORD}, "signup/verify"),
    "resend": ("/signup/resend", {"email": "dana@example.com"}, "signup/verify"),
    "reset": ("/signin/forgot", {"email": "carol@example.com"}, "signin/reset"),
}


@pytest.mark.parametrize("page", PAGES)
def test_the_page_answers_and_the_email_is_sent_later(client, alice_pages, dead_broker, caplog, page):
    verified_user(alice_pages)  # carol, for the reset
    if page == "resend":  # a pending sign-up to resend, its first e-mail also kept
        client.post(hosted_url("/signup", alice_pages), PAGES["signup"][1])
        UnsentEmail.objects.all().delete()
    path, data, link_kind = PAGES[page]
    response = client.post(hosted_url(path, alice_pages), data)
    assert response.status_code == 200
    assert b"Check your e-mail" in response.content
    assert not mail.outbox
    row = UnsentEmail.objects.get()
    assert (row.to, row.reason, row.sent_at) == (data["email"], "enqueue", None)
    assert "/verify?t=" not in row.body_encrypted and "/reset?t=" not in row.body_encrypted  # stored encrypted
    assert link_kind in crypto.decrypt(row.body_encrypted)
    assert "could not queue an e-mail" in caplog.text

    # Celery beat runs the retry (the broker is still down: the task is called directly, as
    # the beat worker would run it).
    assert tasks.send_unsent_emails() == {"sent": 1, "failed": 0}
    assert [m.to for m in mail.outbox] == [[data["email"]]]
    row.refresh_from_db()
    assert row.sent_at is not None and row.body_encrypted == ""
    assert tasks.send_unsent_emails() == {"sent": 0, "failed": 0}, "sent once only"
    # And the link in it works.
    assert client.post(relative(link_from_outbox(link_kind)), {"password": "brand-new-pass-5511"}).status_code == 303


def test_the_beat_schedule_runs_the_retry():
    from django.conf import settings

    assert any(entry["task"] == "signup.tasks.send_unsent_emails" for entry in settings.CELERY_BEAT_SCHEDULE.values())


def test_a_delivery_that_keeps_failing_is_kept_and_retried(client, alice_pages, monkeypatch):
    def smtp_down(**kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(tasks, "deliver", smtp_down)
    response = client.post(hosted_url("/signup", alice_pages), {"email": "dana@example.com", "password": PASSWORD})
    assert response.status_code == 200
    row = UnsentEmail.objects.get()
    assert row.reason == "delivery"
    # Still down: counted, and not tried again before the interval.
    assert tasks.send_unsent_emails() == {"sent": 0, "failed": 1}
    assert tasks.send_unsent_emails() == {"sent": 0, "failed": 0}
    monkeypatch.undo()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert tasks.send_unsent_emails() == {"sent": 1, "failed": 0}
    row.refresh_from_db()
    assert row.attempts == 2 and row.sent_at is not None
    assert mail.outbox[-1].to == ["dana@example.com"]


def test_an_old_unsent_email_is_given_up(alice_pages):
    from signup.emails import unsent_email_keep

    unsent_email_keep(to="x@example.com", subject="s", body="b", reason="enqueue")
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert tasks.send_unsent_emails() == {"sent": 0, "failed": 0}
    assert not mail.outbox


def test_two_workers_never_send_one_email_twice(alice_pages, monkeypatch):
    """The claim is a conditional UPDATE: a second run that read the same row finds it taken."""
    from signup.emails import unsent_email_keep

    unsent_email_keep(to="x@example.com", subject="s", body="b", reason="enqueue")
    original = tasks.deliver
    calls = []

    def deliver_and_race(**kwargs):
        calls.append(kwargs["to"])
        if len(calls) == 1:  # while the first worker is sending, a second one runs
            assert tasks.send_unsent_emails() == {"sent": 0, "failed": 0}
        original(**kwargs)

    monkeypatch.setattr(tasks, "deliver", deliver_and_race)
    assert tasks.send_unsent_emails() == {"sent": 1, "failed": 0}
    assert calls == ["x@example.com"] and len(mail.outbox) == 1


def test_the_admin_lists_unsent_emails_without_their_body(client, alice_pages, dead_broker):
    from django.contrib.auth import get_user_model

    Client().post(hosted_url("/signup", alice_pages), {"email": "dana@example.com", "password": PASSWORD})
    row = UnsentEmail.objects.get()
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "x-root-password-1")
    client.force_login(admin)
    page = client.get(f"/admin/signup/unsentemail/{row.pk}/change/").content.decode()
    assert "dana@example.com" in page
    assert row.body_encrypted not in page and "verify?t=" not in page
