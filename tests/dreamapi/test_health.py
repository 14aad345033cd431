import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_health_reports_database_cache_and_broker(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True, "cache": True, "broker": True
    }


def test_health_is_503_when_the_database_is_unreachable(client, unreachable_database):
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["checks"]["database"]["ok"] is False
