"""The customer shapes: a superset of the original SDK's ``Customer`` and delete answer."""

import pytest

from tenants.models import EndUser

pytestmark = pytest.mark.django_db


def epoch_ms(dt) -> int:
    return round(dt.timestamp() * 1000)


def test_a_customer_has_the_original_fields_with_the_original_types(alice):
    customer = alice.api().post("/api/customers", {"email": "a@example.com", "firstName": "A"},
                                format="json").json()["customer"]
    stored = EndUser.objects.get(public_id=customer["id"])
    assert customer["publishableKey"] == alice.pk
    assert isinstance(customer["createdAt"], int) and abs(customer["createdAt"] - epoch_ms(stored.created_at)) <= 1
    assert customer["created"].endswith("Z") and customer["created"].startswith(stored.created_at.strftime("%Y-%m-%dT"))
    assert (customer["email"], customer["firstName"], customer["plan"]) == ("a@example.com", "A", "free")


def test_every_customer_answer_carries_the_publishable_key_of_the_mode(alice, django_assert_num_queries):
    user = alice.end_user()
    client = alice.api()
    url = f"/api/customers/{user.public_id}"
    assert client.get(url).json()["customer"]["publishableKey"] == alice.pk
    assert client.patch(url, {"firstName": "B"}, format="json").json()["customer"]["publishableKey"] == alice.pk
    with django_assert_num_queries(2):  # count + page: the key comes from the key context, not a query per row
        listed = client.get("/api/customers").json()["customers"]
    assert [c["publishableKey"] for c in listed] == [alice.pk]


def test_delete_answers_as_the_original_did(alice):
    user = alice.end_user("gone@example.com", external_id="app-7")
    response = alice.api().delete(f"/api/customers/{user.public_id}")
    assert response.json() == {"success": True, "message": "Customer deleted.",
                               "deleted": {"id": user.public_id, "email": "gone@example.com", "externalId": "app-7"}}
    assert not EndUser.objects.exists()
