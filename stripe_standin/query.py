"""List pagination and ``expand[]`` handling, shared by every endpoint."""

from __future__ import annotations

import copy
from typing import Any, Callable

from . import forms, objects
from .errors import invalid, resource_missing
from .store import Store

LIST_SPEC: dict[str, forms.Validator] = {
    "limit": forms.integer(minimum=1, maximum=100),
    "starting_after": forms.string(max_length=5000),
    "ending_before": forms.string(max_length=5000),
}


def paginate(items: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
    """Cut one page out of ``items`` (already newest-first) like Stripe's cursor pagination."""
    limit: int = params.get("limit", 10)
    ids = [item["id"] for item in items]
    if params.get("starting_after"):
        cursor = params["starting_after"]
        if cursor not in ids:
            raise resource_missing("object", cursor, "starting_after")
        start = ids.index(cursor) + 1
        page, has_more = items[start:start + limit], start + limit < len(items)
    elif params.get("ending_before"):
        cursor = params["ending_before"]
        if cursor not in ids:
            raise resource_missing("object", cursor, "ending_before")
        end = ids.index(cursor)
        start = max(0, end - limit)
        page, has_more = items[start:end], start > 0
    else:
        page, has_more = items[:limit], len(items) > limit
    return objects.list_object(copy.deepcopy(page), url, has_more)


# A "virtual" field is not stored on the object and only appears when expanded
# (for example a Checkout Session's ``line_items``).
VirtualField = Callable[[Store, dict[str, Any]], Any]


class Expander:
    """Replaces ids with the objects they name, along ``expand[]`` paths."""

    virtual_fields: dict[tuple[str, str], VirtualField] = {}

    def __init__(self, store: Store, account: str | None, livemode: bool) -> None:
        self.store = store
        self.account = account
        self.livemode = livemode

    def expand(self, body: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        body = copy.deepcopy(body)
        for path in paths:
            body = self._walk(body, path.split("."), path)
        return body

    def _walk(self, node: Any, parts: list[str], path: str) -> Any:
        if not parts or not isinstance(node, dict):
            return node
        key, rest = parts[0], parts[1:]
        if node.get("object") == "list" and key == "data":
            node["data"] = [self._walk(item, rest, path) for item in node["data"]]
            return node
        virtual = self.virtual_fields.get((node.get("object", ""), key))
        if virtual is not None and key not in node:
            node[key] = virtual(self.store, node)
        if key not in node:
            raise invalid("expand", f"This property cannot be expanded ({path}).")
        value = node[key]
        if isinstance(value, str):
            value = self._resolve(value, path)
        elif isinstance(value, list):
            value = [self._resolve(v, path) if isinstance(v, str) else v for v in value]
            node[key] = [self._walk(v, rest, path) for v in value]
            return node
        elif value is not None and not isinstance(value, dict):
            raise invalid("expand", f"This property cannot be expanded ({path}).")
        node[key] = self._walk(value, rest, path)
        return node

    def _resolve(self, object_id: str, path: str) -> Any:
        state = self.store.accounts.get(object_id)
        if state is not None:
            return copy.deepcopy(state.obj)
        rec = self.store.record(object_id)
        if rec is None or rec.account != self.account or rec.livemode != self.livemode:
            raise invalid("expand", f"This property cannot be expanded ({path}).")
        if rec.deleted:
            return objects.deleted(rec.obj["id"], rec.obj["object"])
        return copy.deepcopy(rec.obj)
