"""Metering v2 against a live dream-api: features and amounts, idempotent tracking, feature
checks, entitlements in tiers and in verified tokens. The project has a metered feature (3 per
period on the free tier) and an on/off one (on the paid tier only): DREAMAPI_METERED_FEATURE,
DREAMAPI_SWITCH_FEATURE."""

from __future__ import annotations

import os
import uuid

import pytest

from dreamapi import DreamAPI, DreamAPIError
from dreamapi.tokens import TokenVerifier

from .conftest import Live, unique

METERED = os.environ.get("DREAMAPI_METERED_FEATURE", "")
ON_OFF = os.environ.get("DREAMAPI_SWITCH_FEATURE", "")


@pytest.fixture(autouse=True)
def _features(live: Live) -> None:
    # With a server, the project's features are part of its set-up: missing names fail, not skip.
    assert METERED and ON_OFF, "DREAMAPI_METERED_FEATURE and DREAMAPI_SWITCH_FEATURE must be set"


def test_track_counts_an_amount_of_a_feature_all_or_nothing(api: DreamAPI):
    customer = api.customers.create(unique("meter"))
    usage = api.usage.track(user_id=customer.id, feature=METERED, amount=2).usage
    assert (usage.feature, usage.usage_count, usage.limit, usage.remaining) == (METERED, 2, 3, 1)
    with pytest.raises(DreamAPIError) as refused:
        api.usage.track(user_id=customer.id, feature=METERED, amount=2)
    assert refused.value.is_limit_reached and refused.value.body["feature"] == METERED
    assert api.usage.check(user_id=customer.id, feature=METERED).usage_count == 2


def test_a_retry_with_the_idempotency_key_counts_nothing(api: DreamAPI):
    customer = api.customers.create(unique("idem"))
    key = str(uuid.uuid4())
    first = api.usage.track(user_id=customer.id, idempotency_key=key)
    again = api.usage.track(user_id=customer.id, idempotency_key=key)
    assert again.usage == first.usage
    assert api.usage.check(user_id=customer.id).usage_count == 1


def test_check_reports_every_meter_and_check_feature_counts_nothing(api: DreamAPI):
    customer = api.customers.create(unique("check"))
    api.usage.track(user_id=customer.id)
    usage = api.usage.check(user_id=customer.id)
    assert usage.features is not None
    assert usage.features["api_calls"].usage_count == 1
    assert (usage.features[METERED].limit, usage.features[METERED].remaining) == (3, 3)
    switch = api.usage.check_feature(ON_OFF, user_id=customer.id)
    assert (switch.type, switch.allowed, switch.usage_count) == ("boolean", False, None)
    meter = api.usage.check_feature(METERED, amount=4, user_id=customer.id)
    assert (meter.type, meter.allowed, meter.remaining) == ("metered", False, 3)
    with pytest.raises(DreamAPIError) as unknown:
        api.usage.check_feature("no-such-feature", user_id=customer.id)
    assert (unknown.value.status, unknown.value.code) == (404, "unknown_feature")


def test_tiers_list_their_entitlements(api: DreamAPI, live: Live):
    paid = next(t for t in api.products.list_tiers() if t.name == live.paid_tier)
    assert paid.entitlements[ON_OFF] is True and paid.has_feature(ON_OFF)
    assert isinstance(paid.entitlements["api_calls"], int)


def test_a_verified_token_carries_the_entitlements_and_a_plan_change_a_new_version(api: DreamAPI, live: Live):
    customer = api.customers.create(unique("ent"))
    verifier = TokenVerifier(base_url=live.base_url, project_id=live.project_id, mode="test")
    before = verifier.verify(api.auth.refresh(customer_id=customer.id).token)
    assert (before.plan, before.has_feature(ON_OFF), before.feature_limit(METERED)) == ("free", False, 3)
    api.customers.update(customer.id, plan=live.paid_tier)
    after = verifier.verify(api.auth.refresh(customer_id=customer.id).token)
    assert (after.plan, after.has_feature(ON_OFF), after.feature_limit(METERED)) == (live.paid_tier, True, 10)
    assert after.entitlement_version == before.entitlement_version + 1
    assert not after.has_feature("no-such-feature")
