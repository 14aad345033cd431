"""End-user tokens: ES256 JWTs per project, verifiable with the JWKS, refreshable and revocable."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from signup.models import SigningKey
from signup.tokens import end_user_token_issue, signing_key_rotate

from .conftest import verified_user

pytestmark = pytest.mark.django_db


def usage_with(tenant, token, key=None):
    return tenant.api(key, HTTP_X_USER_TOKEN=token).get("/api/usage")


def test_a_token_authenticates_the_end_user_on_the_api(alice):
    end_user = verified_user(alice)
    token = end_user_token_issue(end_user=end_user).token
    response = usage_with(alice, token)
    assert response.status_code == 200
    assert response.json()["plan"] == "free"


def test_the_claims_are_the_documented_ones(alice):
    end_user = verified_user(alice)
    token = end_user_token_issue(end_user=end_user).token
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "ES256"
    assert header["kid"] == SigningKey.objects.get(project=alice.project).kid
    assert claims["iss"] == settings.SITE_URL
    assert claims["sub"] == end_user.public_id
    assert claims["aud"] == alice.project.public_id
    assert claims["pk"] == alice.pk
    # What the original service's client reads from a token (auth.getUser()).
    assert claims["publishableKey"] == alice.pk and claims["email"] == end_user.email
    assert claims["mode"] == "test"
    assert claims["plan"] == "free"
    assert claims["exp"] - claims["iat"] == 3600


def test_a_token_of_another_project_is_refused(alice, bob):
    bobs_token = end_user_token_issue(end_user=verified_user(bob)).token
    response = usage_with(alice, bobs_token)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_user_token"


def test_a_token_of_the_other_mode_is_refused(alice):
    alice.platform.paid_plan_active = True
    alice.platform.save()
    live_user = verified_user(alice, mode="live")
    live_token = end_user_token_issue(end_user=live_user).token
    assert usage_with(alice, live_token, key=alice.keys["live"]["secretKey"]).status_code == 200
    response = usage_with(alice, live_token)  # the test secret key
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_user_token"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_tampered_token_is_refused(alice):
    end_user = verified_user(alice)
    other = alice.end_user(email="mallory@example.com")
    token = end_user_token_issue(end_user=end_user).token
    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = ".".join([header, _b64({**claims, "sub": other.public_id}), signature])
    response = usage_with(alice, forged)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_user_token"
    # An unsigned ("alg": "none") or HMAC-signed token with the right kid is refused too.
    none_token = ".".join([_b64({**jwt.get_unverified_header(token), "alg": "none"}), payload, ""])
    assert usage_with(alice, none_token).status_code == 401
    hs_token = jwt.encode(claims, "a-guessed-hmac-secret-of-32-bytes!", algorithm="HS256", headers={"kid": jwt.get_unverified_header(token)["kid"]})
    assert usage_with(alice, hs_token).status_code == 401
    assert usage_with(alice, "not-a-jwt").status_code == 401


def test_an_expired_token_is_refused(alice):
    token = end_user_token_issue(end_user=verified_user(alice)).token
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        response = usage_with(alice, token)
    assert response.status_code == 401
    assert "expired" in response.json()["message"]


def test_a_developer_verifies_tokens_with_the_jwks_and_pyjwt(alice, live_server, settings):
    settings.SITE_URL = live_server.url
    end_user = verified_user(alice)
    token = end_user_token_issue(end_user=end_user).token
    # What docs/signup.md tells developers to do, against the real HTTP endpoint.
    jwks_client = jwt.PyJWKClient(f"{live_server.url}/.well-known/jwks/{alice.project.public_id}.json")
    signing_key = jwks_client.get_signing_key_from_jwt(token)
    claims = jwt.decode(token, signing_key.key, algorithms=["ES256"], audience=alice.project.public_id,
                        issuer=live_server.url)
    assert claims["sub"] == end_user.public_id
    # The JWKS publishes public material only.
    keys = jwks_client.get_jwk_set().keys
    assert [k.key_id for k in keys] == [jwt.get_unverified_header(token)["kid"]]
    assert all("d" not in k._jwk_data for k in keys)


def test_the_jwks_of_an_unknown_project_is_a_json_404(client):
    response = client.get("/.well-known/jwks/prj_nope.json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_after_a_rotation_old_tokens_verify_until_they_expire(alice, client):
    end_user = verified_user(alice)
    old_token = end_user_token_issue(end_user=end_user).token
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    signing_key_rotate(project=alice.project)
    new_token = end_user_token_issue(end_user=end_user).token
    new_kid = jwt.get_unverified_header(new_token)["kid"]
    assert new_kid != old_kid

    assert usage_with(alice, old_token).status_code == 200
    assert usage_with(alice, new_token).status_code == 200
    published = [k["kid"] for k in client.get(f"/.well-known/jwks/{alice.project.public_id}.json").json()["keys"]]
    assert published == [new_kid, old_kid]

    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        from signup import tokens

        tokens._verification_keys_forget()
        published = [k["kid"] for k in client.get(f"/.well-known/jwks/{alice.project.public_id}.json").json()["keys"]]
        assert published == [new_kid]
        assert usage_with(alice, old_token).status_code == 401


def test_an_immediate_rotation_drops_the_old_key_at_once(alice):
    end_user = verified_user(alice)
    old_token = end_user_token_issue(end_user=end_user).token
    assert usage_with(alice, old_token).status_code == 200  # now in the verification-key cache
    signing_key_rotate(project=alice.project, immediate=True)
    assert usage_with(alice, old_token).status_code == 401
    assert usage_with(alice, end_user_token_issue(end_user=end_user).token).status_code == 200


def test_the_private_key_is_stored_encrypted(alice):
    end_user_token_issue(end_user=verified_user(alice))
    key = SigningKey.objects.get(project=alice.project)
    assert "PRIVATE KEY" not in key.private_key_encrypted
    assert "d" not in key.public_jwk


def test_refresh_by_customer_id_and_by_previous_token(alice):
    end_user = verified_user(alice)
    old = end_user_token_issue(end_user=end_user).token
    by_id = alice.api().post("/api/auth/refresh", {"customerId": end_user.public_id}, format="json")
    assert by_id.status_code == 200
    assert by_id.json()["customer"]["id"] == end_user.public_id
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        by_token = alice.api().post("/api/auth/refresh", {"token": old}, format="json")
        assert by_token.status_code == 200, by_token.json()
        assert usage_with(alice, by_token.json()["token"]).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        too_old = alice.api().post("/api/auth/refresh", {"token": old}, format="json")
        assert too_old.status_code == 401


def test_refresh_is_scoped_to_the_project(alice, bob):
    end_user = verified_user(alice)
    token = end_user_token_issue(end_user=end_user).token
    assert bob.api().post("/api/auth/refresh", {"customerId": end_user.public_id}, format="json").status_code == 404
    assert bob.api().post("/api/auth/refresh", {"token": token}, format="json").status_code == 401
    assert alice.api().post("/api/auth/refresh", {}, format="json").status_code == 400


def test_revocation_refuses_earlier_tokens_and_refreshing_them(alice):
    end_user = verified_user(alice)
    token = end_user_token_issue(end_user=end_user).token
    response = alice.api().post("/api/auth/revoke", {"customerId": end_user.public_id}, format="json")
    assert response.status_code == 200
    assert response.json()["success"] is True
    refused = usage_with(alice, token)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["message"]
    assert alice.api().post("/api/auth/refresh", {"token": token}, format="json").status_code == 401
    # A token issued after the revocation (same second or not) works.
    fresh = alice.api().post("/api/auth/refresh", {"customerId": end_user.public_id}, format="json").json()["token"]
    assert usage_with(alice, fresh).status_code == 200


def test_revocation_is_scoped_to_the_project(alice, bob):
    end_user = verified_user(alice)
    assert bob.api().post("/api/auth/revoke", {"customerId": end_user.public_id}, format="json").status_code == 404


def test_a_deleted_end_users_token_stops_working(alice):
    end_user = verified_user(alice)
    token = end_user_token_issue(end_user=end_user).token
    end_user.delete()
    assert usage_with(alice, token).status_code == 401


def test_a_token_costs_one_query_more_than_x_user_id_on_the_hot_path(alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    end_user = verified_user(alice)
    token = end_user_token_issue(end_user=end_user).token
    by_id_client = alice.api(HTTP_X_USER_ID=end_user.public_id)
    by_token_client = alice.api(HTTP_X_USER_TOKEN=token)
    assert by_token_client.post("/api/data").status_code == 200  # warms the key caches
    with CaptureQueriesContext(connection) as by_id:
        assert by_id_client.post("/api/data").status_code == 200
    with CaptureQueriesContext(connection) as by_token:
        assert by_token_client.post("/api/data").status_code == 200
    assert len(by_token) == len(by_id) + 1
