"""End-user tokens (``X-User-Token``). Implemented with the hosted sign-up (issue 5)."""

from dreamapi.errors import ApiError


def end_user_ref_from_token(*, token: str, key) -> str:
    raise ApiError("X-User-Token is not accepted yet; name the end user with X-User-Id.",
                   code="invalid_user_token", title="Unauthorized", status_code=401)
