"""The demo that `./dev run` sets up: a developer, a project, working keys, and (with the local
Stripe stand-in) a connected account, a paid tier and the platform plan."""

from io import StringIO

import pytest
from django.core.management import call_command

from billing.models import StripeConnection, Tier
from signup.models import SignupSettings
from storefront.models import Product
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


def test_the_demo_has_a_product_in_stock_that_can_be_bought_at_once(client, standin, live_server):
    run("demo")
    output = run("demo")
    product = Product.objects.get(project__name="Demo app", mode="test")
    assert (product.name, product.inventory, product.active) == ("sticker-pack", 25, True)
    assert product.image is not None and product.stripe_price_id.startswith("price_")
    assert "Try the store (Sticker pack: 25 in stock)" in output and product.stripe_price_id in output
    publishable = ApiKey.objects.get(project=product.project, mode="test", kind="pk", revoked_at__isnull=True)
    listed = client.get("/api/products", HTTP_X_PUBLISHABLE_KEY=publishable.publishable_key).json()["products"]
    assert [(p["name"], p["inventory"], p["soldOut"]) for p in listed] == [("sticker-pack", 25, False)]
    secret = [line.split()[1] for line in output.splitlines() if line.strip().startswith("secret")][0]
    cart = client.post("/api/cart/checkout", {"items": [{"priceId": product.stripe_price_id, "quantity": 2}]},
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert cart.status_code == 200, cart.content
    assert cart.json()["url"].startswith(standin.url)


def test_the_examples_origins_are_allowed_once_keeping_the_developers_own(settings):
    run("demo")
    project = Project.objects.get(name="Demo app")
    project.allowed_origins = ["https://mine.example", "http://localhost:5173"]
    project.save()
    SignupSettings.objects.filter(project=project).update(redirect_origins=["https://mine.example"])
    output = run("demo")
    project.refresh_from_db()
    assert project.allowed_origins == ["https://mine.example", "http://localhost:5173", "http://localhost:5000"]
    assert SignupSettings.objects.get(project=project).redirect_origins == [
        "https://mine.example", "http://localhost:5173", "http://localhost:5000"]
    assert "http://localhost:5173, http://localhost:5000 are allowed on this project" in output


def test_without_a_stand_in_the_demo_says_so_and_the_keys_still_work(client, settings):
    assert settings.STRIPE_API_BASE == "http://127.0.0.1:9"  # tests never reach a stand-in they did not start
    output = run("demo")
    assert "Stripe stand-in not ready" in output
    secret = [line.split()[1] for line in output.splitlines() if line.strip().startswith("secret")][0]
    assert client.get("/api/tiers", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
