"""The demo that `./dev run` sets up: a developer, a project, working keys, and (with the local
Stripe stand-in) a connected account, a paid tier and the platform plan."""

from io import StringIO

import pytest
from django.core.management import call_command

from billing.models import StripeConnection, Tier
from tenants.models import ApiKey, Project

# The stand-in these tests start themselves (never the one `./dev run` listens on).
from tests.billing.conftest import standin, standin_server  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_demo_command_creates_once_and_prints_a_working_key(client, standin, live_server):
    first = run("demo")
    second = run("demo")
    assert Project.objects.filter(name="Demo app").count() == 1
    secret = [line.split()[1] for line in second.splitlines() if line.strip().startswith("secret")][0]
    assert secret.startswith("sk_test_") and secret not in first
    response = client.get("/api/tiers", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["tiers"]] == ["free", "pro"]
    assert ApiKey.objects.filter(project__name="Demo app", kind="sk", mode="test", revoked_at__isnull=True).count() == 1
    connection = StripeConnection.objects.get(project__name="Demo app", disconnected_at__isnull=True)
    assert f"local stand-in at {standin.url}, demo project connected as {connection.account_id}" in second
    assert Tier.objects.get(project__name="Demo app", slug="pro").stripe_price_id.startswith("price_")


def test_without_a_stand_in_the_demo_says_so_and_the_keys_still_work(client, settings):
    assert settings.STRIPE_API_BASE == "http://127.0.0.1:9"  # tests never reach a stand-in they did not start
    output = run("demo")
    assert "Stripe stand-in not ready" in output
    secret = [line.split()[1] for line in output.splitlines() if line.strip().startswith("secret")][0]
    assert client.get("/api/tiers", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
