"""PostgreSQL (or Redis) down: 503 dependency_unavailable with Retry-After, one log line per interval."""

import logging
import time

import pytest
import redis
from django.db import OperationalError
from django.test import Client, override_settings

from dreamapi import outages

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGE = "A service we depend on is unavailable; please try again shortly."


@pytest.fixture(autouse=True)
def _fresh_outage_log():
    outages.reset()
    yield
    outages.reset()


def outage_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_every_api_call_is_a_json_503_while_the_database_is_down(alice, unreachable_database, caplog):
    client = alice.api(HTTP_X_USER_ID="usr_someone")
    client.raise_request_exception = False
    calls = [("post", "/api/data"), ("get", "/api/usage"), ("get", "/api/customers"), ("get", "/api/tiers"),
             ("get", "/api/customers/usr_x"), ("post", "/api/auth/refresh")]
    for method, path in calls * 5:
        response = getattr(client, method)(path)
        assert response.status_code == 503, (path, response.content)
        assert response["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)
        assert response.json() == {"error": "Service unavailable", "message": MESSAGE, "code": "dependency_unavailable"}

    # 30 failed calls, one line: no traceback per call, and nothing from django.request.
    records = outage_records(caplog)
    assert [(r.name, r.levelname) for r in records] == [("dreamapi.outages", "ERROR")]
    assert records[0].getMessage().startswith("database unavailable, answering 503: OperationalError:")
    assert records[0].exc_info is None and "\n" not in records[0].getMessage()


def test_the_outage_is_logged_again_each_interval_with_the_count_it_skipped(alice, unreachable_database, caplog,
                                                                            monkeypatch):
    monkeypatch.setattr(outages, "LOG_INTERVAL_SECONDS", 0.5)
    client = alice.api(HTTP_X_USER_ID="usr_someone")
    for _ in range(5):
        assert client.post("/api/data").status_code == 503
    time.sleep(0.6)
    for _ in range(5):
        assert client.post("/api/data").status_code == 503
    messages = [r.getMessage() for r in outage_records(caplog)]
    assert len(messages) == 2
    assert messages[0].endswith("(0 more failure(s) since the last report)")
    assert messages[1].endswith("(4 more failure(s) since the last report)")


def test_a_dashboard_page_is_a_friendly_503_while_the_database_is_down(alice, client, unreachable_database_after_login):
    client.raise_request_exception = False
    response = client.get("/dashboard/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/html")
    assert b"Service unavailable" in response.content and b"try again shortly" in response.content


@pytest.fixture
def unreachable_database_after_login(alice, client, request):
    client.force_login(alice.user)
    request.getfixturevalue("unreachable_database")


def test_health_still_reports_the_database_down_in_its_own_shape(client, unreachable_database):
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "down"


class FailingMiddleware:
    """Raises what the test asks for, outside any view (where process_exception can't see it)."""

    error: Exception = OperationalError("connection refused")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise self.error


def with_middleware(middleware: str) -> list[str]:
    from django.conf import settings

    return [*settings.MIDDLEWARE, middleware]


@pytest.mark.parametrize("error, dependency", [
    (OperationalError("connection refused"), "database"),
    (redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379"), "cache"),
])
@pytest.mark.parametrize("path, content_type", [("/api/customers", "application/json"), ("/dashboard/", "text/html")])
def test_an_outage_raised_inside_a_middleware_is_a_503_too(monkeypatch, caplog, error, dependency, path, content_type):
    monkeypatch.setattr(FailingMiddleware, "error", error)
    with override_settings(MIDDLEWARE=with_middleware(f"{__name__}.FailingMiddleware")):
        response = Client(raise_request_exception=False).get(path)
    assert response.status_code == 503
    assert response["Content-Type"].startswith(content_type)
    assert response["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)
    assert [r.getMessage().split(",")[0] for r in outage_records(caplog)] == [f"{dependency} unavailable"]


def test_any_other_error_inside_a_middleware_is_still_a_500(monkeypatch):
    monkeypatch.setattr(FailingMiddleware, "error", RuntimeError("boom"))
    with override_settings(MIDDLEWARE=with_middleware(f"{__name__}.FailingMiddleware")):
        response = Client(raise_request_exception=False).get("/api/customers")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
