"""Checks a Stripe object (a plain dict, as the stand-in emits it) against stripe-python's typed
resource classes, which are generated from Stripe's OpenAPI spec for the pinned API version.

``problems(obj)`` lists every field the object has that the pinned version does not define, every
non-nullable field it lacks, and values of the wrong type, following nested hashes, lists, list
objects, expandable ids and ``data.object`` of events. Nullable fields may be absent: Stripe leaves
out type-specific hashes (``payment_method.sepa_debit``…) and includable fields (``line_items``).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import typing
from typing import Any

from stripe._list_object import ListObject
from stripe._object_classes import OBJECT_CLASSES
from stripe._stripe_object import StripeObject, UntypedStripeObject

_NoneType = type(None)


def _resource(name: str) -> type[StripeObject] | None:
    entry = OBJECT_CLASSES.get(name)
    return getattr(importlib.import_module(entry[0]), entry[1]) if entry else None


def _type_checking_names(module_name: str) -> dict[str, Any]:
    """The names a stripe-python module imports only for type checkers (``if TYPE_CHECKING:``), which
    its annotations refer to as strings: ``"Product"`` in ``stripe._price`` is ``stripe._product.Product``."""
    module = sys.modules[module_name]
    tree = ast.parse(inspect.getsource(module))
    names: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for statement in ast.walk(node):
                if isinstance(statement, ast.ImportFrom) and statement.module:
                    imported = importlib.import_module(statement.module)
                    for alias in statement.names:
                        if hasattr(imported, alias.name):
                            names[alias.asname or alias.name] = getattr(imported, alias.name)
    return names


_MODULE_NAMES: dict[str, dict[str, Any]] = {}
_HINTS: dict[type, dict[str, Any]] = {}


def _names_for(klass: type) -> dict[str, Any]:
    if klass.__module__ not in _MODULE_NAMES:
        _MODULE_NAMES[klass.__module__] = {**_type_checking_names(klass.__module__),
                                           **vars(sys.modules[klass.__module__])}
    return {**_MODULE_NAMES[klass.__module__], **vars(klass)}


def fields(cls: type[StripeObject]) -> dict[str, Any]:
    """The resolved annotations of a resource (or nested) class: field name -> type."""
    if cls not in _HINTS:
        resolved: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            annotations = klass.__dict__.get("__annotations__", {})
            if klass is StripeObject or not issubclass(klass, StripeObject):
                continue
            names = _names_for(klass)
            for name, annotation in annotations.items():
                if typing.get_origin(annotation) is typing.ClassVar:
                    continue
                holder = type("Holder", (), {"__annotations__": {name: annotation}})
                try:
                    resolved[name] = typing.get_type_hints(holder, globalns=names, localns=names)[name]
                except NameError:  # a name stripe-python only imports for type checkers
                    nullable = _NoneType in typing.get_args(annotation)
                    resolved[name] = typing.Optional[Any] if nullable else Any
        _HINTS[cls] = resolved
    return _HINTS[cls]


def _nullable(tp: Any) -> bool:
    return typing.get_origin(tp) is typing.Union and _NoneType in typing.get_args(tp)


def _check(value: Any, tp: Any, path: str, out: list[str]) -> None:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any or (origin is not None and isinstance(origin, type) and issubclass(origin, UntypedStripeObject)):
        if isinstance(value, dict) and isinstance(value.get("object"), str) and _resource(value["object"]):
            _check_object(value, _resource(value["object"]), path, out)  # e.g. an event's data.object
        return
    if origin is typing.Union:
        if value is None:
            if _NoneType not in args:
                out.append(f"{path}: null, but not nullable")
            return
        options = [a for a in args if a is not _NoneType]
        if isinstance(value, str) and str in options:
            return  # an expandable field holding an id, or a string enum
        objects = [a for a in options if a is not str]
        if len(objects) == 1:
            _check(value, objects[0], path, out)
        return
    if value is None:
        out.append(f"{path}: null, but not nullable")
    elif origin is list:
        if not isinstance(value, list):
            out.append(f"{path}: not a list")
        else:
            for index, item in enumerate(value):
                _check(item, args[0], f"{path}[{index}]", out)
    elif origin is dict:
        if not isinstance(value, dict):
            out.append(f"{path}: not a hash")
    elif origin is typing.Literal:
        if value not in args:
            out.append(f"{path}: {value!r} is not one of {args}")
    elif tp is ListObject or (isinstance(origin, type) and issubclass(origin, ListObject)):
        if not isinstance(value, dict) or value.get("object") != "list":
            out.append(f"{path}: not a list object")
            return
        extra = set(value) - {"object", "data", "has_more", "url"}
        if extra:
            out.append(f"{path}: unknown list keys {sorted(extra)}")
        for index, item in enumerate(value.get("data", [])):
            _check(item, args[0] if args else Any, f"{path}.data[{index}]", out)
    elif isinstance(tp, type) and issubclass(tp, StripeObject):
        if not isinstance(value, dict):
            out.append(f"{path}: not a hash")
        else:
            _check_object(value, tp, path, out)
    elif tp is bool and not isinstance(value, bool):
        out.append(f"{path}: {value!r} is not a boolean")
    elif tp is int and (not isinstance(value, int) or isinstance(value, bool)):
        out.append(f"{path}: {value!r} is not an integer")
    elif tp is float and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        out.append(f"{path}: {value!r} is not a number")
    elif tp is str and not isinstance(value, str):
        out.append(f"{path}: {value!r} is not a string")


def _check_object(value: dict[str, Any], cls: type[StripeObject], path: str, out: list[str]) -> None:
    if value.get("deleted") is True and set(value) <= {"id", "object", "deleted"}:
        return  # a deleted object's stub
    known = fields(cls)
    for name in value:
        if name not in known:
            out.append(f"{path}.{name}: not a field of {cls.__qualname__} in this API version")
    for name, tp in known.items():
        if name in value:
            _check(value[name], tp, f"{path}.{name}", out)
        elif not _nullable(tp):
            out.append(f"{path}.{name}: missing (required)")


def problems(obj: dict[str, Any]) -> list[str]:
    cls = _resource(obj.get("object", ""))
    if cls is None:
        return [f"{obj.get('object')!r}: not an object type of this API version"]
    out: list[str] = []
    _check_object(obj, cls, f"{obj['object']} {obj.get('id')}", out)
    return out
