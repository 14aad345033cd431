"""Stripe's form encoding: decoding nested keys, then validating and converting.

stripe-python sends ``application/x-www-form-urlencoded`` bodies (and query
strings for GET/DELETE) where nesting is spelled in the key::

    metadata[user]=42
    line_items[0][price]=price_123&line_items[0][quantity]=1
    expand[]=customer            (other clients; stripe-python sends expand[0]=...)

:func:`decode` turns that into nested dicts and lists whose leaves are still
strings. Handlers then run the result through a *spec* (a dict of validators
built from the helpers below) with :func:`clean`, which rejects unknown
parameters and converts strings to ints/bools the way Stripe does.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl

from .errors import StripeError, invalid, parameter_unknown

Validator = Callable[[Any, str], Any]
Spec = Mapping[str, Validator]

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")

# Keys under which digit-only sub-keys are data, not list indices.
_FREE_FORM_KEYS = frozenset({"metadata"})


def _split_key(key: str) -> list[str]:
    """``"a[b][0]"`` -> ``["a", "b", "0"]``; ``"a[]"`` -> ``["a", ""]``."""
    start = key.find("[")
    if start <= 0:
        return [key]
    rest = key[start:]
    parts = _BRACKETS.findall(rest)
    if "".join(f"[{p}]" for p in parts) != rest:
        return [key]  # malformed brackets: keep the key literally
    return [key[:start], *parts]


def decode(query: str) -> dict[str, Any]:
    """Decode a form-encoded string into nested dicts/lists of strings."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        parts = _split_key(key)
        node = root
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if part == "":
                # "a[]" appends: give it the next free index.
                part = str(len(node))
            if last:
                if isinstance(node.get(part), dict):
                    raise StripeError(400, f"Invalid request: '{key}' conflicts with a nested parameter.")
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise StripeError(400, f"Invalid request: '{key}' conflicts with a scalar parameter.")
                node = child
    result: dict[str, Any] = _listify(root, None)  # the root has named keys, so it stays a dict
    return result


def _listify(value: Any, name: str | None) -> Any:
    """Turn dicts whose keys are all digits into lists ordered by index."""
    if not isinstance(value, dict):
        return value
    converted = {k: _listify(v, k) for k, v in value.items()}
    if converted and name not in _FREE_FORM_KEYS and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


# -- validators ---------------------------------------------------------------
# Each validator takes (raw value, param name as Stripe spells it) and returns
# the converted value or raises a StripeError naming that param.


def string(*, max_length: int = 5000, choices: tuple[str, ...] | None = None, blank: bool = True) -> Validator:
    def check(value: Any, param: str) -> str:
        if not isinstance(value, str):
            raise invalid(param, f"Invalid string: {param} must be a string.", "parameter_invalid_string")
        if not blank and value == "":
            raise invalid(param, f"You passed an empty string for '{param}'. We assume empty values are an "
                                 f"attempt to unset a parameter; however '{param}' cannot be unset.",
                          "parameter_invalid_empty")
        if len(value) > max_length:
            raise invalid(param, f"Invalid {param}: must be at most {max_length} characters")
        if choices is not None and value not in choices:
            raise invalid(param, f"Invalid {param}: must be one of {', '.join(choices)}")
        return value

    return check


def nullable(inner: Validator) -> Validator:
    """Empty string means "unset" (Stripe's convention on updates) -> None."""

    def check(value: Any, param: str) -> Any:
        if value == "":
            return None
        return inner(value, param)

    return check


def integer(*, minimum: int | None = None, maximum: int | None = None) -> Validator:
    def check(value: Any, param: str) -> int:
        if isinstance(value, bool):
            raise invalid(param, f"Invalid integer: {value}", "parameter_invalid_integer")
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            number = int(value.strip())
        else:
            raise invalid(param, f"Invalid integer: {value}", "parameter_invalid_integer")
        if minimum is not None and number < minimum:
            raise invalid(param, f"Invalid {param}: must be greater than or equal to {minimum}",
                          "parameter_invalid_integer")
        if maximum is not None and number > maximum:
            raise invalid(param, f"Invalid {param}: must be less than or equal to {maximum}",
                          "parameter_invalid_integer")
        return number

    return check


def boolean() -> Validator:
    def check(value: Any, param: str) -> bool:
        if isinstance(value, bool):
            return value
        if value in ("true", "True"):
            return True
        if value in ("false", "False"):
            return False
        raise invalid(param, f"Invalid boolean: {value}")

    return check


def url() -> Validator:
    def check(value: Any, param: str) -> str:
        if not isinstance(value, str) or not re.match(r"https?://[^\s/]+", value):
            raise invalid(param, "Not a valid URL", "url_invalid")
        return value

    return check


def number(*, minimum: float | None = None, maximum: float | None = None) -> Validator:
    """A decimal such as ``application_fee_percent=12.5``."""

    def check(value: Any, param: str) -> float:
        try:
            result = float(value)
        except (TypeError, ValueError):
            raise invalid(param, f"Invalid decimal: {value}", "parameter_invalid_decimal") from None
        if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
            raise invalid(param, f"Invalid {param}: must be between {minimum} and {maximum}")
        return result

    return check


def metadata() -> Validator:
    """``metadata[key]=value`` pairs. ``metadata=""`` clears everything (-> None)."""

    def check(value: Any, param: str) -> dict[str, str] | None:
        if value == "":
            return None
        if not isinstance(value, dict):
            raise invalid(param, "Invalid metadata: metadata must be a set of key-value pairs")
        if len(value) > 50:
            raise invalid(param, "Invalid metadata: metadata can have at most 50 keys")
        result: dict[str, str] = {}
        for key, item in value.items():
            if not isinstance(item, str):
                raise invalid(f"{param}[{key}]", "Invalid metadata: values must be strings")
            if len(key) > 40:
                raise invalid(f"{param}[{key}]", "Invalid metadata: keys can be at most 40 characters")
            if len(item) > 500:
                raise invalid(f"{param}[{key}]", "Invalid metadata: values can be at most 500 characters")
            result[key] = item
        return result

    return check


def array(item: Validator, *, max_items: int = 100) -> Validator:
    def check(value: Any, param: str) -> list[Any]:
        if value == "":
            return []
        if not isinstance(value, list):
            raise invalid(param, f"Invalid array: {param} must be an array", "parameter_invalid_array")
        if len(value) > max_items:
            raise invalid(param, f"Invalid {param}: at most {max_items} items are allowed")
        return [item(element, f"{param}[{index}]") for index, element in enumerate(value)]

    return check


def hash_of(spec: Spec) -> Validator:
    """A nested object such as ``recurring[interval]``; unknown keys are refused."""

    def check(value: Any, param: str) -> dict[str, Any]:
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise invalid(param, f"Invalid object: {param} must be an object", "parameter_invalid_object")
        return clean(value, spec, prefix=param, allow_expand=False)

    return check


def unsupported(hint: str) -> Validator:
    """A real Stripe parameter the stand-in does not implement: say so plainly."""

    def check(value: Any, param: str) -> Any:
        raise invalid(param, f"The Stripe stand-in does not support '{param}'. {hint}".strip())

    return check


def merge_metadata(current: dict[str, str], update: dict[str, str] | None) -> dict[str, str]:
    """Stripe's metadata update rules: merge keys, ``""`` deletes a key, None clears all."""
    if update is None:
        return {}
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def anything() -> Validator:
    """Accepted and kept as sent (for parameters the stand-in only echoes)."""
    return lambda value, param: value


EXPAND = array(string(max_length=200), max_items=20)


def clean(params: Mapping[str, Any], spec: Spec, *, prefix: str = "", allow_expand: bool = True) -> dict[str, Any]:
    """Validate ``params`` against ``spec``; unknown keys -> ``parameter_unknown``."""
    result: dict[str, Any] = {}
    for key, value in params.items():
        param = f"{prefix}[{key}]" if prefix else key
        if key == "expand" and allow_expand and not prefix:
            result[key] = EXPAND(value, param)
            continue
        validator = spec.get(key)
        if validator is None:
            raise parameter_unknown(param)
        result[key] = validator(value, param)
    return result
