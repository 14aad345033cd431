"""Stripe's form encoding, decoded and validated (pure functions, no server)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from stripe._encode import _api_encode

from stripe_standin import forms
from stripe_standin.errors import StripeError


def test_decodes_what_stripe_python_encodes() -> None:
    params = {
        "mode": "subscription",
        "line_items": [{"price": "price_1", "quantity": 2}, {"price": "price_2", "quantity": 1}],
        "metadata": {"user": "42", "7": "seven"},
        "subscription_data": {"metadata": {"plan": "pro"}},
        "expand": ["line_items", "customer"],
        "allow_promotion_codes": True,
    }
    decoded = forms.decode(urlencode(list(_api_encode(params))))
    assert decoded == {
        "mode": "subscription",
        "line_items": [{"price": "price_1", "quantity": "2"}, {"price": "price_2", "quantity": "1"}],
        # digit keys inside metadata stay keys: metadata is free-form, never a list
        "metadata": {"user": "42", "7": "seven"},
        "subscription_data": {"metadata": {"plan": "pro"}},
        "expand": ["line_items", "customer"],
        "allow_promotion_codes": "true",
    }


def test_decodes_empty_bracket_arrays_and_ordering() -> None:
    assert forms.decode("expand[]=data.customer&expand[]=data.subscription") == {
        "expand": ["data.customer", "data.subscription"]}
    # indices are ordered numerically, not lexically
    query = "&".join(f"items[{i}][price]=p{i}" for i in (10, 2, 1))
    assert [item["price"] for item in forms.decode(query)["items"]] == ["p1", "p2", "p10"]
    assert forms.decode("recurring[interval]=month") == {"recurring": {"interval": "month"}}
    assert forms.decode("description=") == {"description": ""}


def test_conflicting_shapes_are_refused() -> None:
    with pytest.raises(StripeError) as info:
        forms.decode("metadata=x&metadata[a]=b")
    assert info.value.status == 400


SPEC = {
    "unit_amount": forms.integer(minimum=0),
    "active": forms.boolean(),
    "recurring": forms.hash_of({"interval": forms.string(choices=("month", "year"))}),
    "metadata": forms.metadata(),
    "line_items": forms.array(forms.hash_of({"price": forms.string(), "quantity": forms.integer(minimum=1)})),
}


def test_clean_converts_types() -> None:
    raw = forms.decode("unit_amount=1500&active=false&recurring[interval]=year&metadata[a]=b"
                       "&line_items[0][price]=price_1&line_items[0][quantity]=3&expand[0]=product")
    assert forms.clean(raw, SPEC) == {
        "unit_amount": 1500, "active": False, "recurring": {"interval": "year"}, "metadata": {"a": "b"},
        "line_items": [{"price": "price_1", "quantity": 3}], "expand": ["product"],
    }


@pytest.mark.parametrize(("query", "param", "code"), [
    ("unit_amount=ten", "unit_amount", "parameter_invalid_integer"),
    ("unit_amount=-1", "unit_amount", "parameter_invalid_integer"),
    ("bogus=1", "bogus", "parameter_unknown"),
    ("recurring[bogus]=1", "recurring[bogus]", "parameter_unknown"),
    ("line_items[0][quantity]=0", "line_items[0][quantity]", "parameter_invalid_integer"),
])
def test_clean_names_the_bad_param(query: str, param: str, code: str) -> None:
    with pytest.raises(StripeError) as info:
        forms.clean(forms.decode(query), SPEC)
    assert (info.value.param, info.value.code, info.value.status) == (param, code, 400)


def test_clean_rejects_bad_enum_and_boolean() -> None:
    for query, param in (("recurring[interval]=fortnight", "recurring[interval]"), ("active=yes", "active")):
        with pytest.raises(StripeError) as info:
            forms.clean(forms.decode(query), SPEC)
        assert info.value.param == param


def test_metadata_merge_rules() -> None:
    assert forms.merge_metadata({"a": "1", "b": "2"}, {"b": "", "c": "3"}) == {"a": "1", "c": "3"}
    assert forms.merge_metadata({"a": "1"}, None) == {}
    assert forms.clean(forms.decode("metadata="), SPEC) == {"metadata": None}
