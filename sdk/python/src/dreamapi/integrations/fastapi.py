"""FastAPI: a dependency that tracks one use for the request's end user.

    from fastapi import Depends, FastAPI, Request
    from dreamapi import AsyncDreamAPI, Usage
    from dreamapi.integrations.fastapi import UsageTracker

    api = AsyncDreamAPI(secret_key=..., base_url=...)
    tracked = UsageTracker(api, user_id=lambda request: request.headers["X-App-User"])

    @app.post("/generate")
    async def generate(usage: Usage = Depends(tracked)):
        return {"remaining": usage.remaining}

At the limit the endpoint is not called: ``HTTPException`` with status 402 (``limit_status``)
and the API's error as ``detail``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from fastapi import HTTPException, Request

from .. import AsyncDreamAPI
from ..errors import DreamAPIError
from ..models import Usage
from . import DEFAULT_LIMIT_STATUS, limit_body


class UsageTracker:
    def __init__(self, api: AsyncDreamAPI, *, user_id: Callable[[Request], str | Awaitable[str]],
                 feature: str | None = None, limit_status: int = DEFAULT_LIMIT_STATUS) -> None:
        self.api = api
        self.user_id = user_id
        self.feature = feature
        self.limit_status = limit_status

    async def __call__(self, request: Request) -> Usage:
        ref = self.user_id(request)
        if inspect.isawaitable(ref):
            ref = await ref
        try:
            result = await self.api.usage.track(user_id=str(ref), feature=self.feature)
        except DreamAPIError as error:
            if error.code != "tier_limit_reached":
                raise
            raise HTTPException(status_code=self.limit_status, detail=limit_body(error)) from error
        return result.usage

