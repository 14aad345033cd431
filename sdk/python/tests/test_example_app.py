"""examples/server/app.py (Flask, server mode) against the live server: hosted sign-in, the
code exchanged with the secret key, tracked calls up to the limit, checkout, offline token
verification, sign-out."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from dreamapi import DreamAPI

from .conftest import Live, hosted_sign_in

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "server" / "app.py"


@pytest.fixture
def example(live: Live) -> Any:
    if not EXAMPLE.is_file():
        pytest.skip("the example app is not beside the SDK")
    pytest.importorskip("flask")
    spec = importlib.util.spec_from_file_location("server_example", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.create_app(secret_key=live.secret_key, publishable_key=live.publishable_key, base_url=live.base_url,
                             public_url=live.app_origin, project_id=live.project_id)


def test_the_server_example_journey(example: Any, live: Live, api: DreamAPI):
    email, password = live.user_email, live.user_password
    client = example.test_client()
    home = client.get("/").get_data(as_text=True)
    sign_in_url = re.search(r"href='([^']+/signin\?[^']+)'", home).group(1).replace("&amp;", "&")

    landed = hosted_sign_in(sign_in_url, email, password)
    assert landed.startswith(f"{live.app_origin}/auth/callback?code=")
    parts = urlsplit(landed)
    assert client.get(f"{parts.path}?{parts.query}").status_code == 302
    assert f"Hello {email}" in client.get("/").get_data(as_text=True)

    customer_id = next(c.id for c in api.customers.list(search=email))
    api.customers.update(customer_id, plan=live.small_tier)
    answers = [client.post("/generate") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 402]
    assert answers[2].get_json()["code"] == "tier_limit_reached"

    upgrade = client.post("/upgrade")
    assert upgrade.status_code == 303 and "/checkout/" in upgrade.headers["Location"]
    me = client.get("/me").get_json()
    assert me["id"] == customer_id and me["mode"] == "test"
    assert client.post("/sign-out").status_code == 302
    assert client.get("/me").status_code == 401
