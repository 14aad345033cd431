"""Webhook → Redis broker → a real ``celery worker`` process → database. Everywhere else the
suite runs tasks eagerly; this test proves the path through the broker works."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from billing.models import StripeEvent
from billing.services import tier_create
from dreamapi.celery import app as celery_app
from tenants.models import EndUser

from .conftest import connect_stripe, pay, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"),
                       reason="needs REDIS_URL and DATABASE_URL (CI sets both)"),
]


@pytest.fixture
def worker(standin):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dreamapi.settings_test",
        # The worker uses the test database this test is writing to.
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "STRIPE_API_BASE": standin.url,
        "STRIPE_CONNECT_WEBHOOK_SECRETS": ",".join(settings.STRIPE_CONNECT_WEBHOOK_SECRETS),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dreamapi", "worker", "--pool=solo", "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    celery_app.conf.task_always_eager = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the worker answers a ping
        if process.poll() is not None:
            pytest.fail(f"celery worker exited: {process.stdout.read()}")
        if celery_app.control.ping(timeout=0.5):
            break
    else:
        process.kill()
        pytest.fail("celery worker did not start")
    yield process
    celery_app.conf.task_always_eager = True
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_real_worker_processes_stripe_events_from_the_broker(client, alice, standin, worker):
    client.force_login(alice.user)
    connect_stripe(client, alice.project, standin)
    tier_create(project=alice.project, mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=500)
    user = alice.end_user("worker@example.com")
    url = alice.api(HTTP_X_USER_ID=user.public_id).post("/api/create-checkout", {"tier": "pro"}, format="json").json()["url"]
    assert pay(url).status_code == 303
    wait_until(lambda: EndUser.objects.get(pk=user.pk).tier.slug == "pro", timeout=30)
    assert standin.wait_for_webhooks(10)
    wait_until(lambda: not StripeEvent.objects.filter(status__in=["pending", "processing"]).exists(), timeout=30)
    assert set(StripeEvent.objects.values_list("status", flat=True)) <= {"processed", "ignored"}
