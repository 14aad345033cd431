"""The store's fixtures: a shop (alice) with a Stripe account connected on the stand-in,
images made with Pillow, and helpers to create products through the API."""

from __future__ import annotations

from io import BytesIO

import pytest
import requests
from django.conf import settings as django_settings
from PIL import Image

from billing import stripe_api
from billing.models import StripeConnection
from tests.billing.conftest import CONNECT_SECRET, pay, standin, standin_server, wait_until  # noqa: F401 (fixtures)

__all__ = ["CONNECT_SECRET", "pay", "wait_until"]


@pytest.fixture(autouse=True)
def assets_storage(settings, tmp_path):
    """Images go to a fresh folder per test."""
    settings.STORAGES = {**django_settings.STORAGES, "assets": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "assets"), "base_url": None}}}
    return tmp_path / "assets"


@pytest.fixture
def quiet_standin(standin_server, settings):
    """The stand-in without webhooks (no live server needed): for tests of the API alone."""
    standin_server.reset()
    standin_server.configure(connect_webhook_url=None, connect_webhook_secret=None, public_base=standin_server.url)
    settings.STRIPE_API_BASE = standin_server.url
    stripe_api.reset_clients()
    yield standin_server
    stripe_api.reset_clients()


def connect_account(tenant, standin_server, mode: str = "test") -> str:
    """A connected account made on the stand-in, recorded as the project's connection."""
    key = django_settings.STRIPE_LIVE_SECRET_KEY if mode == "live" else django_settings.STRIPE_TEST_SECRET_KEY
    response = requests.post(f"{standin_server.url}/v1/accounts", headers={"Authorization": f"Bearer {key}"},
                             data={"type": "standard", "business_profile[name]": f"{tenant.project.name} shop"},
                             timeout=5)
    assert response.status_code == 200, response.text
    account = response.json()["id"]
    StripeConnection.objects.create(project=tenant.project, mode=mode, account_id=account, scope="read_write")
    return account


def stripe_get(standin_server, account: str, path: str, mode: str = "test") -> dict:
    """Read an object from the stand-in as the platform acting on ``account``."""
    key = django_settings.STRIPE_LIVE_SECRET_KEY if mode == "live" else django_settings.STRIPE_TEST_SECRET_KEY
    response = requests.get(f"{standin_server.url}{path}", timeout=5,
                            headers={"Authorization": f"Bearer {key}", "Stripe-Account": account})
    assert response.status_code == 200, response.text
    return response.json()


def stripe_post(standin_server, account: str, path: str, data: dict | None = None) -> dict:
    response = requests.post(f"{standin_server.url}{path}", data=data or {}, timeout=5,
                             headers={"Authorization": f"Bearer {django_settings.STRIPE_TEST_SECRET_KEY}",
                                      "Stripe-Account": account})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def shop(alice, quiet_standin):
    """Alice with a connected Stripe account (test mode)."""
    alice.account = connect_account(alice, quiet_standin)
    return alice


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 30), **save) -> bytes:
    mode = "RGBA" if fmt in ("PNG", "WEBP") else ("P" if fmt == "GIF" else "RGB")
    image = Image.new(mode, size, 1 if mode == "P" else (200, 30, 60, 255)[: len(mode)])
    out = BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def create_product(tenant, **fields) -> dict:
    body = {"name": "mug", "displayName": "Mug", "price": 1200, "inventory": 10, **fields}
    response = tenant.api().post("/api/products", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["product"]
