"""One JSON reader for everything that arrives from outside (API bodies, webhooks).

It accepts only what every part of the stack can store and compare: no ``NaN``/``Infinity``
and no number that overflows to infinity (``1e999``), no lone UTF-16 surrogate (``"\\ud800"``),
no NUL character (PostgreSQL's ``jsonb`` and ``text`` refuse both), and no nesting deeper than
``MAX_DEPTH``. Anything else raises ``JsonRefused`` (a ``ValueError``) with a message a client
can act on, so no view has to remember these cases and none of them can become a 500.
"""

from __future__ import annotations

import json
import math
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


class JsonRefused(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a number JSON allows.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"The number {text[:40]} is too large.")
    return value


def text_problem(value: str) -> str | None:
    """Why a string can't be stored (NUL, lone surrogate), or None when it can."""
    if "\x00" in value:
        return "Text may not contain the NUL character (\\u0000)."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Text may not contain a lone UTF-16 surrogate."
    return None


def check_value(value: Any, *, depth: int = 0) -> None:
    """Raise JsonRefused if a parsed value holds text we can't store or nests too deeply."""
    if depth > MAX_DEPTH:
        raise JsonRefused(f"JSON may nest at most {MAX_DEPTH} levels deep.")
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise JsonRefused(problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_value(key, depth=depth + 1)
            check_value(item, depth=depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_value(item, depth=depth + 1)


def loads(text: str | bytes) -> Any:
    """Parse and check JSON; raises JsonRefused (a ValueError) for anything we refuse."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError as exc:
        raise JsonRefused(f"JSON may nest at most {MAX_DEPTH} levels deep.") from exc
    except UnicodeDecodeError as exc:
        raise JsonRefused("The body is not valid UTF-8.") from exc
    check_value(value)
    return value


class StrictJSONParser(JSONParser):
    """DRF's JSON parser with ``loads`` above: a refused body is a 400 ``invalid_json``."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return loads(stream.read())
        except ValueError as exc:  # JsonRefused, json.JSONDecodeError
            raise ParseError(f"JSON parse error - {exc}") from exc
