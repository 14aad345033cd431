import pytest

from tenants.models import EndUser

pytestmark = pytest.mark.django_db

CUSTOMER_KEYS = {"id", "externalId", "email", "firstName", "lastName", "plan", "publishableKey", "metadata",
                 "emailVerified", "createdAt", "updatedAt", "created", "updated"}


def create(tenant, **body):
    return tenant.api().post("/api/customers", body, format="json")


def test_create_a_customer_as_the_original_service_did(alice):
    response = create(alice, email="sharon@example.com", firstName="Sharon", lastName="Sheffield",
                      password="UniquePass123xyz", plan="free")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"success", "customer"} and body["success"] is True
    customer = body["customer"]
    assert set(customer) == CUSTOMER_KEYS
    assert customer["id"].startswith("usr_")
    assert (customer["email"], customer["firstName"], customer["plan"]) == ("sharon@example.com", "Sharon", "free")
    stored = EndUser.objects.get(public_id=customer["id"])
    assert stored.password.startswith("md5$") or stored.password.startswith("pbkdf2")  # hashed, never clear
    assert "UniquePass123xyz" not in response.content.decode()


def test_a_new_customer_gets_the_default_tier(alice):
    assert create(alice, email="a@example.com").json()["customer"]["plan"] == "free"


def test_e_mail_is_unique_per_project_and_mode_ignoring_case(alice, bob):
    assert create(alice, email="Same@Example.com").status_code == 201
    response = create(alice, email="same@example.com")
    assert response.status_code == 409
    assert response.json()["code"] == "customer_exists"
    assert create(bob, email="same@example.com").status_code == 201  # another project: fine


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": 42}, "email"),
        ({"email": "a@example.com", "firstName": 7}, "firstName"),
        ({"email": "a@example.com", "plan": "platinum"}, "plan"),
        ({"email": "a@example.com", "password": "123"}, "password"),
        ({"email": "a@example.com", "metadata": ["not", "an", "object"]}, "metadata"),
        ({"email": "a@example.com", "metadata": {"k": "x" * 9000}}, "metadata"),
    ],
)
def test_bad_input_is_a_400_that_names_the_field(alice, body, field):
    response = create(alice, **body)
    assert response.status_code == 400, response.content
    error = response.json()
    assert set(error) >= {"error", "message", "code"}
    assert field in error["message"] or field in error.get("fields", {})
    assert EndUser.objects.count() == 0  # nothing half-written


def test_malformed_json_is_a_400(alice):
    response = alice.api().post("/api/customers", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_a_json_array_body_is_a_400(alice):
    response = alice.api().post("/api/customers", data="[1,2]", content_type="application/json")
    assert response.status_code == 400


def test_an_oversize_body_is_a_413(alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = alice.api().post("/api/customers", {"email": "a@example.com", "firstName": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_list_paginates_and_searches(alice, django_assert_num_queries):
    for i in range(7):
        alice.end_user(f"user{i}@example.com")
    alice.end_user("other@elsewhere.com")
    client = alice.api()
    client.get("/api/tiers")  # warm the key cache
    with django_assert_num_queries(2):  # count + page
        response = client.get("/api/customers", {"limit": 3, "page": 2})
    body = response.json()
    assert len(body["customers"]) == 3
    assert body["pagination"] == {"page": 2, "limit": 3, "total": 8, "hasMore": True}
    body = client.get("/api/customers", {"search": "ELSEWHERE"}).json()
    assert [c["email"] for c in body["customers"]] == ["other@elsewhere.com"]
    assert client.get("/api/customers", {"limit": 1000}).status_code == 400
    for page in ("207829112713876256", "0", "-1", "two"):
        response = client.get("/api/customers", {"page": page, "limit": 47})
        assert response.status_code == 400 and "page" in response.json()["fields"], page


def test_get_patch_delete(alice):
    alice.project.tiers.create(mode="test", slug="pro", name="Pro", price_cents=900, monthly_limit=1000)
    customer = create(alice, email="c@example.com").json()["customer"]
    url = f"/api/customers/{customer['id']}"
    assert alice.api().get(url).json()["customer"]["email"] == "c@example.com"
    response = alice.api().patch(url, {"plan": "pro", "firstName": "Cee", "metadata": {"team": "a"}}, format="json")
    assert response.status_code == 200
    assert response.json()["customer"]["plan"] == "pro"
    assert response.json()["customer"]["metadata"] == {"team": "a"}
    assert alice.api().patch(url, {"plan": "nope"}, format="json").status_code == 400
    assert alice.api().patch(url, {"email": "new@example.com"}, format="json").status_code == 400
    assert alice.api().patch(url, {}, format="json").status_code == 400
    response = alice.api().delete(url)
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Customer deleted.",
                               "deleted": {"id": customer["id"], "email": "c@example.com", "externalId": None}}
    assert alice.api().get(url).status_code == 404


def test_an_outsider_key_gets_404_and_changes_nothing(alice, bob):
    customer = create(alice, email="victim@example.com").json()["customer"]
    url = f"/api/customers/{customer['id']}"
    for method, body in (("get", None), ("patch", {"firstName": "pwned"}), ("delete", None)):
        response = getattr(bob.api(), method)(url, body, format="json") if body else getattr(bob.api(), method)(url)
        assert response.status_code == 404, method
        assert response.json()["code"] == "customer_not_found"
    assert bob.api().get("/api/customers").json()["customers"] == []
    stored = EndUser.objects.get(public_id=customer["id"])
    assert stored.first_name == ""


def test_unknown_paths_and_methods_answer_json(alice):
    response = alice.api().get("/api/nothing-here")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = alice.api().put("/api/customers", {}, format="json")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"
