import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tenants.models import Project

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createproject_json_prints_exactly_one_object_with_working_keys(client):
    run("createdeveloper", "--email", "carol@example.com", "--password", "a-long-password-1")
    output = run("createproject", "--developer", "carol@example.com", "--name", "Carol's app", "--type", "store", "--json")
    data = json.loads(output)  # the whole output is one JSON document
    assert set(data) == {"platformId", "projectId", "keys"}
    assert data["platformId"].startswith("plt_")
    assert set(data["keys"]) == {"test", "live"}
    for mode in ("test", "live"):
        assert set(data["keys"][mode]) == {"publishableKey", "secretKey"}
        assert data["keys"][mode]["secretKey"].startswith(f"sk_{mode}_")
        assert data["keys"][mode]["publishableKey"].startswith(f"pk_{mode}_")
    project = Project.objects.get(public_id=data["projectId"])
    assert project.kind == "store" and project.platform.public_id == data["platformId"]
    response = client.get("/api/tiers", HTTP_AUTHORIZATION=f"Bearer {data['keys']['test']['secretKey']}")
    assert response.status_code == 200


def test_createdeveloper_refuses_a_duplicate(db):
    run("createdeveloper", "--email", "dave@example.com", "--password", "a-long-password-1")
    with pytest.raises(CommandError, match="already exists"):
        run("createdeveloper", "--email", "DAVE@example.com", "--password", "a-long-password-1")


def test_createproject_for_an_unknown_developer_fails_clearly(db):
    with pytest.raises(CommandError, match="No developer"):
        run("createproject", "--developer", "nobody@example.com", "--name", "X")
