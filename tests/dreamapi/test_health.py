import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def test_health_reports_database_cache_and_broker(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True, "cache": True, "broker": True
    }


@pytest.fixture
def unreachable_database():
    """Point the connection at a server that is not there (PostgreSQL) or a path that cannot exist (SQLite)."""
    original = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    else:
        connection.settings_dict["NAME"] = "/nonexistent-dir/db.sqlite3"
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(original)


def test_health_is_503_when_the_database_is_unreachable(client, unreachable_database):
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["checks"]["database"]["ok"] is False
