"""OpenAPI descriptions shared by the API views: key authentication, the error shape,
and the common headers. Loaded by drf-spectacular through ``extend_schema`` imports."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers


class SecretKeyScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.authentication.SecretKeyAuthentication"
    name = "secretKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Secret key: sk_test_… or sk_live_…"}


class PublicKeyScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.authentication.PublicKeyAuthentication"
    name = "publishableOrSecretKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "Publishable key (pk_test_…/pk_live_…, safe in a browser) or secret key"}


ErrorSerializer = inline_serializer(
    "Error",
    {
        "error": serializers.CharField(help_text="Short title, e.g. 'Tier limit reached'."),
        "message": serializers.CharField(help_text="What is wrong, for a human."),
        "code": serializers.CharField(help_text="Stable machine-readable code, e.g. 'tier_limit_reached'."),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False,
            help_text="For validation errors: messages per field.",
        ),
    },
)


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "Bad input: the message and `fields` say which field and why.",
        401: "Missing, malformed, unknown or revoked key.",
        403: "Key not allowed here (publishable key on a secret endpoint, live key without a plan), or limit reached.",
        404: "Unknown object, or one of another project or mode.",
        409: "Conflict (already exists, sold out).",
        429: "Rate limited: see Retry-After and X-RateLimit-* headers.",
    }
    return {s: OpenApiResponse(ErrorSerializer, description=descriptions[s]) for s in statuses}


X_ENV = OpenApiParameter(
    "X-Env", OpenApiTypes.STR, OpenApiParameter.HEADER, enum=["test", "live"],
    description="Optional. When sent it must agree with the key's mode.",
)
X_USER_ID = OpenApiParameter(
    "X-User-Id", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="The end user (usr_…). Either this or X-User-Token is required.",
)
X_USER_TOKEN = OpenApiParameter(
    "X-User-Token", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="An end-user token from the hosted sign-up, instead of X-User-Id.",
)
X_USER_PLAN = OpenApiParameter(
    "X-User-Plan", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="Accepted for compatibility and ignored: the stored plan decides the limit.",
)
END_USER_HEADERS = [X_ENV, X_USER_ID, X_USER_TOKEN, X_USER_PLAN]


def only_public_paths(endpoints):
    """The schema documents the customer API, not its own docs endpoints or bench helpers."""
    hidden = ("/api/schema/", "/api/docs/", "/api/redoc/", "/api/_bench/")
    return [e for e in endpoints if e[0].startswith("/api/") and not e[0].startswith(hidden)]
