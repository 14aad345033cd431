"""The framework helpers track one use per request and answer 402 (or the app's choice) at the
limit, against the live server, with a tier whose limit is 2."""

from __future__ import annotations

import pytest

from dreamapi import AsyncDreamAPI, DreamAPI

from .conftest import Live, unique


@pytest.fixture
def small_customer(api: DreamAPI, live: Live) -> str:
    return api.customers.create(unique("fw"), plan=live.small_tier).id


def test_flask_decorator(api: DreamAPI, small_customer: str):
    flask = pytest.importorskip("flask")
    from dreamapi.integrations.flask import track_usage

    app = flask.Flask(__name__)

    @app.post("/generate")
    @track_usage(api, user_id=lambda: flask.request.headers["X-App-User"])
    def generate() -> dict[str, object]:
        return {"remaining": flask.g.dreamapi_usage.remaining}

    client = app.test_client()
    answers = [client.post("/generate", headers={"X-App-User": small_customer}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 402]
    assert answers[1].get_json() == {"remaining": 0}
    assert answers[2].get_json()["code"] == "tier_limit_reached"


def test_fastapi_dependency(live: Live, small_customer: str):
    fastapi = pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from dreamapi import Usage
    from dreamapi.integrations.fastapi import UsageTracker

    api = AsyncDreamAPI(live.secret_key, base_url=live.base_url)
    tracked = UsageTracker(api, user_id=lambda request: request.headers["X-App-User"], limit_status=403)
    app = fastapi.FastAPI()

    @app.post("/generate")
    async def generate(usage: Usage = fastapi.Depends(tracked)) -> dict[str, object]:
        return {"count": usage.usage_count}

    with TestClient(app) as client:
        answers = [client.post("/generate", headers={"X-App-User": small_customer}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 403]
    assert answers[1].json() == {"count": 2}
    assert answers[2].json()["detail"]["code"] == "tier_limit_reached"


def test_django_decorator(api: DreamAPI, small_customer: str):
    pytest.importorskip("django")
    from django.conf import settings

    if not settings.configured:
        settings.configure(DEBUG=False, ALLOWED_HOSTS=["*"], DEFAULT_CHARSET="utf-8")
    from django.http import HttpResponse
    from django.test import RequestFactory

    from dreamapi.integrations.django import track_usage

    @track_usage(api, user_id=lambda request: request.headers["X-App-User"])
    def view(request: object) -> HttpResponse:
        return HttpResponse(str(request.dreamapi_usage.usage_count))  # type: ignore[attr-defined]

    factory = RequestFactory()
    answers = [view(factory.post("/x", headers={"X-App-User": small_customer})) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 402]
    assert answers[1].content == b"2"
    assert b"tier_limit_reached" in answers[2].content


def test_other_errors_are_not_hidden(api: DreamAPI):
    flask = pytest.importorskip("flask")
    from dreamapi import DreamAPIError
    from dreamapi.integrations.flask import track_usage

    app = flask.Flask(__name__)

    @app.post("/generate")
    @track_usage(api, user_id=lambda: "usr_unknown")
    def generate() -> str:
        return "never"

    app.testing = True
    with pytest.raises(DreamAPIError) as caught:
        app.test_client().post("/generate")
    assert caught.value.status == 404
