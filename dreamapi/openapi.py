"""OpenAPI descriptions shared by the API views: key authentication, the error shape, the
common headers, and the statuses every operation can answer. Loaded by drf-spectacular
through ``extend_schema`` imports and the hooks in ``SPECTACULAR_SETTINGS``.

The schema is meant to be as strict as the server: a value the schema allows should be one
the server accepts, except where an operation's description says why not (a well-formed but
unknown id is a 404, a well-formed token of another project a 401…).
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

# Patterns shared with the server's own checks (tenants.authentication, tenants.models,
# signup.tokens). Kept as literals here because the kernel imports no app.
END_USER_REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@|+-]{0,127}$"
JWT_PATTERN = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
JWT_MAX_LENGTH = 4096


class SecretKeyScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.authentication.SecretKeyAuthentication"
    name = "secretKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": (
            "Secret key: sk_test_… or sk_live_…. The original service's clients also send X-Publishable-Key "
            "beside it: it must then be this project's publishable key of the same mode (400 "
            "`publishable_key_mismatch` otherwise).")}


class PublicKeyScheme(OpenApiAuthenticationExtension):
    """Either a key in ``Authorization`` or, without one, ``X-Publishable-Key``."""

    target_class = "tenants.authentication.PublicKeyAuthentication"
    name = ["publishableOrSecretKey", "publishableKeyHeader"]

    def get_security_requirement(self, auto_schema):
        return [{name: []} for name in self.name]  # one or the other, not both

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer",
             "description": "Publishable key (pk_test_…/pk_live_…, safe in a browser) or secret key"},
            {"type": "apiKey", "in": "header", "name": "X-Publishable-Key",
             "description": "The publishable key, as the original service's browser clients send it; used only "
                            "when no Authorization header is sent."},
        ]


class ErrorSerializer(serializers.Serializer):
    """The one error shape under /api/ (rendered by dreamapi.errors)."""

    error = serializers.CharField(help_text="Short title, e.g. 'Tier limit reached'.")
    message = serializers.CharField(help_text="What is wrong, for a human.")
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. 'tier_limit_reached'.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="For validation errors: messages per field.",
    )

    class Meta:
        ref_name = "Error"


_DESCRIPTIONS = {
    400: "Bad input: the message and `fields` say which field and why (`invalid_request`); `invalid_json` for a "
         "body that is not acceptable JSON; `invalid_env`/`mode_mismatch` for X-Env; `publishable_key_mismatch` "
         "for an X-Publishable-Key of another project or mode beside the key in Authorization.",
    401: "Missing, malformed, unknown or revoked key (`invalid_api_key`, always the same body); for end-user "
         "calls also a missing, invalid, expired or revoked end-user token, or one of another project or mode "
         "(`invalid_user_token`, `user_token_required`).",
    403: "Key not allowed here (`secret_key_required`: a publishable key on a secret endpoint; "
         "`live_mode_requires_paid_plan`), or limit reached.",
    404: "Unknown object, or one of another project or mode.",
    409: "Conflict (already exists, sold out).",
    413: "The request body is larger than the server accepts (`payload_too_large`: 1 MiB by default, 5 MB for "
         "image uploads).",
    414: "The request line (path and query) is too long.",
    429: "Rate limited (`rate_limited` per end user, `key_rate_limited` per key, `too_many_invalid_keys` after too "
         "many wrong keys from one address): see Retry-After and the X-RateLimit-* headers.",
    415: "Unsupported Content-Type for this endpoint (JSON, or multipart for uploads).",
    431: "A request header, or all of them together, is too large.",
    502: "Stripe refused the request for a reason on the platform's side; the message says why. Nothing was saved.",
    503: "A dependency (the database, Redis, Stripe) is unavailable (`dependency_unavailable`, `stripe_unavailable`); "
         "retry after Retry-After seconds. Nothing was saved.",
}
_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer", "minimum": 1},
                                "description": "Seconds to wait before trying again."}}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses particular to an operation; the ones every operation can answer are added by
    ``add_common_responses``."""
    return {s: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[s]) for s in statuses}


def _header(name: str, schema: dict, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, schema, OpenApiParameter.HEADER, description=description)


_TOKEN_SCHEMA = {"type": "string", "pattern": JWT_PATTERN, "maxLength": JWT_MAX_LENGTH}
X_ENV = _header("X-Env", {"type": "string", "enum": ["test", "live"]},
                "Optional. When sent it must agree with the key's mode (400 `mode_mismatch` otherwise).")
X_USER_ID = _header(
    "X-User-Id", {"type": "string", "pattern": END_USER_REF_PATTERN, "maxLength": 128},
    "Secret key only: the end user, by our id (`usr_…`) or your `externalId`. A well-formed id that names no "
    "end user of this project and mode is a 404. With the publishable key this header is refused (403 "
    "`user_token_required`): send the end user's token.",
)
_TOKEN_DESCRIPTION = (
    "An end-user token (ES256 JWT from the hosted sign-up or `POST /api/auth/exchange`) instead of X-User-Id; "
    "required with the publishable key. A well-formed token that is not a valid token of this project and mode "
    "is a 401 `invalid_user_token`."
)
X_USER_TOKEN = _header("X-User-Token", _TOKEN_SCHEMA, _TOKEN_DESCRIPTION)
X_CLERK_TOKEN = _header("X-Clerk-Token", _TOKEN_SCHEMA, "The same as X-User-Token (the original service's name).")
X_END_USER_TOKEN = _header("X-End-User-Token", _TOKEN_SCHEMA, "The same as X-User-Token.")
X_USER_PLAN = _header("X-User-Plan", {"type": "string", "pattern": r"^[\x20-\x7e]*$", "maxLength": 100},
                      "Accepted for compatibility and ignored: the stored plan decides the limit.")
# X-Publishable-Key is described by the security schemes (alone it is a key; beside a key in
# Authorization it must match), not repeated as a parameter of every operation.
KEY_HEADERS = [X_ENV]
END_USER_HEADERS = [*KEY_HEADERS, X_USER_ID, X_USER_TOKEN, X_CLERK_TOKEN, X_END_USER_TOKEN, X_USER_PLAN]


def only_public_paths(endpoints):
    """The schema documents the customer API, not its own docs endpoints or bench helpers."""
    hidden = ("/api/schema/", "/api/docs/", "/api/redoc/", "/api/_bench/")
    return [e for e in endpoints if e[0].startswith("/api/") and not e[0].startswith(hidden)]


# Statuses any /api/ request can get before or around its view: from the server and the
# kernel's middleware (413, 414, 431, 503), and for key-authenticated operations from the key
# check (400 bad X-Env/X-Publishable-Key, 401, 403, 429 too many wrong keys).
_EVERYWHERE = (413, 414, 431, 503)
_WITH_A_KEY = (400, 401, 403, 429)


# What a header allows by its schema but the server still refuses, because the answer depends on
# the key or on stored data: said in each operation's description that has the header.
_STATEFUL_REFUSALS = {
    "X-Env": "`X-Env` naming the other mode than the key's: 400 `mode_mismatch`.",
    "X-User-Id": "Neither `X-User-Id` nor a token (the schema cannot say \"one of two headers\"): 400 "
                 "`end_user_required`; a well-formed id of no end user of this project and mode: 404; `X-User-Id` "
                 "with a publishable key: 403 `user_token_required`.",
    "X-User-Token": "A well-formed token that is not a current token of this project and mode (another project, "
                    "the other mode, expired, revoked): 401 `invalid_user_token`; different values in "
                    "`X-User-Token`, `X-Clerk-Token` and `X-End-User-Token`: 400 `conflicting_user_tokens`.",
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema for one operation, plus the statuses every operation can answer and
    the schema-valid inputs its headers can still be refused for, so an operation added later is
    documented completely without repeating them."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        headers = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "header"}
        refusals = [text for name, text in _STATEFUL_REFUSALS.items() if name in headers]
        if refusals:
            operation["description"] = "\n\n".join(filter(None, [
                operation.get("description"),
                "**Refused although the schema allows it** (the answer depends on the key or on stored data):\n"
                + "\n".join(f"- {text}" for text in refusals),
            ]))
        error_ref = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation.setdefault("responses", {})
        statuses = _EVERYWHERE + (_WITH_A_KEY if operation.get("security") else ())
        for status in statuses:
            responses.setdefault(str(status), {
                "content": {"application/json": {"schema": error_ref}},
                "description": _DESCRIPTIONS[status],
            })
        for status in ("429", "503"):
            if status in responses:
                responses[status].setdefault("headers", dict(_RETRY_AFTER))
        return operation
