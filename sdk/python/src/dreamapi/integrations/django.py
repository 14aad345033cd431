"""Django: ``@track_usage(api, user_id=…)`` on a view.

    from dreamapi import DreamAPI
    from dreamapi.integrations.django import track_usage

    api = DreamAPI(secret_key=settings.DREAM_API_SECRET_KEY, base_url=settings.DREAM_API_URL)

    @track_usage(api, user_id=lambda request: request.user.dream_user_id)
    def generate(request):
        ...  # request.dreamapi_usage is the end user's usage after this call

At the limit the view is not called and the answer is JSON with status 402 (``limit_status``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import JsonResponse

from .. import DreamAPI
from ..errors import DreamAPIError
from . import DEFAULT_LIMIT_STATUS, limit_body

View = TypeVar("View", bound=Callable[..., Any])


def track_usage(api: DreamAPI, *, user_id: Callable[[Any], str], feature: str | None = None,
                limit_status: int = DEFAULT_LIMIT_STATUS) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                result = api.usage.track(user_id=user_id(request), feature=feature)
            except DreamAPIError as error:
                if error.code != "tier_limit_reached":
                    raise
                return JsonResponse(limit_body(error), status=limit_status)
            request.dreamapi_usage = result.usage
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
