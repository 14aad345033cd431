"""Error types raised by handlers and turned into Stripe-shaped JSON.

Stripe has two error envelopes:

* the REST API one, ``{"error": {"type": ..., "message": ..., "code": ..., "param": ...}}``,
  which stripe-python maps to ``InvalidRequestError`` (400/404),
  ``AuthenticationError`` (401), ``PermissionError`` (403), ``CardError`` (402) ...
* the Connect OAuth one, ``{"error": "invalid_grant", "error_description": "..."}``,
  which stripe-python maps to ``stripe.oauth_error.*``.
"""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An API error; rendered as Stripe's ``{"error": {...}}`` body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = "https://stripe.com/docs/error-codes/" + self.code.replace("_", "-")
        if self.param:
            error["param"] = self.param
        if request_id:
            error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        return {"error": error}


class OAuthError(Exception):
    """A Connect OAuth error; rendered as ``{"error": code, "error_description": ...}``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


# -- constructors for the errors Stripe returns most often -------------------


def resource_missing(label: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(
        404 if param == "id" else 400,
        f"No such {label}: '{object_id}'",
        code="resource_missing",
        param=param,
    )


def parameter_missing(param: str, message: str | None = None) -> StripeError:
    return StripeError(
        400,
        message or f"Missing required param: {param}.",
        code="parameter_missing",
        param=param,
    )


def parameter_unknown(param: str) -> StripeError:
    return StripeError(
        400,
        f"Received unknown parameter: {param}",
        code="parameter_unknown",
        param=param,
    )


def invalid(param: str | None, message: str, code: str | None = None) -> StripeError:
    return StripeError(400, message, code=code, param=param)
