"""MetadataField refuses what PostgreSQL's jsonb can't store, whichever route the metadata took."""

import pytest
from rest_framework.exceptions import ValidationError

from dreamapi.fields import MetadataField


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize("metadata, message", [
    ({"\x00": "v"}, "NUL"),
    ({"k": "a\x00b"}, "NUL"),
    ({"k": ["\ud800"]}, "surrogate"),
    ({"k": {"\udc00": 1}}, "surrogate"),
    (nested(40), "nest"),
], ids=["nul-key", "nul-value", "surrogate-value", "surrogate-key", "too-deep"])
def test_it_refuses_text_jsonb_cannot_hold(metadata, message):
    with pytest.raises(ValidationError) as caught:
        MetadataField().run_validation(metadata)
    assert message in str(caught.value.detail[0])


def test_it_keeps_ordinary_metadata():
    assert MetadataField().run_validation({"plan": "é😀", "n": [1, 2.5, None, True]}) == {
        "plan": "é😀", "n": [1, 2.5, None, True]}
