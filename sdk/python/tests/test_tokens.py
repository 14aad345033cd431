"""Offline verification of end-user tokens with the project's JWKS."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest

from dreamapi import DreamAPI
from dreamapi.tokens import AsyncTokenVerifier, InvalidToken, TokenVerifier

from .conftest import Live, unique


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "usr_someone_else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_a_token_of_the_project_verifies_offline_and_a_tampered_one_does_not(api: DreamAPI, live: Live):
    customer = api.customers.create(unique("jwt"))
    token = api.auth.refresh(customer_id=customer.id).token
    verifier = TokenVerifier(base_url=live.base_url, project_id=live.project_id, mode="test")
    claims = verifier.verify(token)
    assert (claims.sub, claims.mode, claims.project_id, claims.plan) == (customer.id, "test", live.project_id, "free")
    assert claims.publishable_key == live.publishable_key
    with pytest.raises(InvalidToken):
        verifier.verify(_tamper(token))
    with pytest.raises(InvalidToken):
        TokenVerifier(base_url=live.base_url, project_id=live.project_id, mode="live").verify(token)
    with pytest.raises(InvalidToken):
        verifier.verify("not-a-token")

    async def verify_async() -> str:
        return (await AsyncTokenVerifier(base_url=live.base_url, project_id=live.project_id).verify(token)).sub

    assert asyncio.run(verify_async()) == customer.id


def test_another_projects_token_is_refused(live: Live):
    with DreamAPI(live.other_secret_key, base_url=live.base_url) as outsider:
        customer = outsider.customers.create(unique("other"))
        token = outsider.auth.refresh(customer_id=customer.id).token
    with pytest.raises(InvalidToken):
        TokenVerifier(base_url=live.base_url, project_id=live.project_id).verify(token)


def test_the_jwks_is_cached_and_refetched_for_an_unknown_key_id(api: DreamAPI, live: Live):
    customer = api.customers.create(unique("kid"))
    token = api.auth.refresh(customer_id=customer.id).token
    real = httpx.get(f"{live.base_url}/.well-known/jwks/{live.project_id}.json", timeout=10).json()
    served: list[dict[str, object]] = [{"keys": []}, real]  # first without the token's key: as before a rotation
    fetches: list[str] = []

    def jwks(request: httpx.Request) -> httpx.Response:
        fetches.append(str(request.url))
        return httpx.Response(200, json=served[min(len(fetches) - 1, 1)], headers={"Cache-Control": "max-age=300"})

    verifier = TokenVerifier(base_url=live.base_url, project_id=live.project_id, min_refetch_interval=0,
                             http_client=httpx.Client(transport=httpx.MockTransport(jwks)))
    with pytest.raises(InvalidToken):
        verifier.verify(token)  # fetched, no such kid
    assert verifier.verify(token).sub == customer.id  # unknown kid → fetched again, now known
    assert verifier.verify(token).sub == customer.id  # cached
    assert len(fetches) == 2

    limited = TokenVerifier(base_url=live.base_url, project_id=live.project_id, min_refetch_interval=3600,
                            http_client=httpx.Client(transport=httpx.MockTransport(jwks)))
    fetches.clear()
    served[0] = {"keys": []}
    with pytest.raises(InvalidToken):
        limited.verify(token)
    with pytest.raises(InvalidToken):
        limited.verify(token)  # an unknown kid does not refetch more than once per interval
    assert len(fetches) == 1
