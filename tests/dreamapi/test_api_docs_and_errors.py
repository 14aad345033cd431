import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_documents_every_customer_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json() if response["Content-Type"].startswith("application/json") else None
    text = response.content.decode()
    for path in ("/api/customers", "/api/customers/{customer_id}", "/api/data", "/api/usage", "/api/tiers"):
        assert path in text
    if schema:
        assert schema["openapi"].startswith("3.")


def test_the_interactive_docs_load_only_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r'https?://[^\s"\'<>]+', html)
    external = [u for u in urls if u.startswith(("http://", "https://", "//")) and "testserver" not in u]
    assert external == []
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert assets, "the page should load its assets from /static/"
    for asset in assets:
        assert finders.find(asset), asset
        assert client.get(f"/static/{asset}").status_code == 200


def test_cors_answers_allowed_origins_on_publishable_endpoints(alice):
    alice.project.allowed_origins = ["https://app.example.com"]
    alice.project.save()
    preflight = alice.api().options("/api/tiers", HTTP_ORIGIN="https://app.example.com",
                                    HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert preflight.status_code == 204
    assert "Authorization" in preflight["Access-Control-Allow-Headers"]
    allowed = alice.api(alice.pk).get("/api/tiers", HTTP_ORIGIN="https://app.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    other = alice.api(alice.pk).get("/api/tiers", HTTP_ORIGIN="https://evil.example")
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other


def test_secret_key_endpoints_are_never_cors_enabled(alice):
    alice.project.allowed_origins = ["https://app.example.com"]
    alice.project.save()
    for method, path in (("get", "/api/customers"), ("post", "/api/data"), ("options", "/api/customers")):
        response = getattr(alice.api(), method)(path, HTTP_ORIGIN="https://app.example.com")
        assert "Access-Control-Allow-Origin" not in response, (method, path)


def test_an_unexpected_error_is_a_json_500(alice, monkeypatch):
    from tenants import apis

    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(apis.services, "end_user_create", explode)
    client = alice.api()
    client.raise_request_exception = False
    response = client.post("/api/customers", {"email": "a@example.com"}, format="json")
    assert response.status_code == 500
    assert response.json() == {"error": "Server error", "code": "server_error",
                               "message": "Something went wrong on our side; it has been logged."}
    assert "boom" not in response.content.decode()


def test_the_schema_generates_without_a_single_warning():
    """Every API view is described (request, responses, auth); an undocumented view fails here."""
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--file", "/dev/null")
