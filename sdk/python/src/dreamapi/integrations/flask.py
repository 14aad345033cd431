"""Flask: ``@track_usage(api, user_id=…)`` on a route.

    from flask import g, session
    from dreamapi.integrations.flask import track_usage

    @app.post("/generate")
    @track_usage(api, user_id=lambda: session["dream_user_id"])
    def generate():
        return {"remaining": g.dreamapi_usage.remaining}

At the limit the route is not called and the answer is JSON with status 402 (``limit_status``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, jsonify

from .. import DreamAPI
from ..errors import DreamAPIError
from . import DEFAULT_LIMIT_STATUS, limit_body

Route = TypeVar("Route", bound=Callable[..., Any])


def track_usage(api: DreamAPI, *, user_id: Callable[[], str], feature: str | None = None,
                limit_status: int = DEFAULT_LIMIT_STATUS) -> Callable[[Route], Route]:
    def decorate(route: Route) -> Route:
        @functools.wraps(route)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                result = api.usage.track(user_id=user_id(), feature=feature)
            except DreamAPIError as error:
                if error.code != "tier_limit_reached":
                    raise
                return jsonify(limit_body(error)), limit_status
            g.dreamapi_usage = result.usage
            return route(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
