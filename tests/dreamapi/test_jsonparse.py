"""The one JSON reader refuses what PostgreSQL or Python can't store or compare."""

import pytest

from dreamapi import jsonparse


@pytest.mark.parametrize(
    "body",
    [
        '{"a": NaN}',
        "[Infinity]",
        "1e999",
        '"\\u0000"',
        '{"\\u0000": 1}',
        '"\\ud800"',
        "[" * 50_000,
        "[" * 40 + "]" * 40,
        b'"\xff"',
    ],
    ids=["nan", "infinity", "overflow", "nul-value", "nul-key", "lone-surrogate", "deep-unclosed", "deep", "not-utf8"],
)
def test_it_refuses_what_cannot_be_stored(body):
    with pytest.raises(ValueError):
        jsonparse.loads(body)


def test_it_reads_ordinary_json():
    assert jsonparse.loads('{"a": [1, 2.5, "é😀", null, true]}') == {"a": [1, 2.5, "é😀", None, True]}
