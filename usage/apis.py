from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from dreamapi.openapi import END_USER_HEADERS, errors
from tenants.api_base import EndUserAPIView
from tenants.models import end_user_lookup

from .selectors import usage_get
from .serializers import TierLimitErrorSerializer, UsageSerializer, UsageTrackedSerializer, usage_json
from .services import usage_track


def _named(ref: str) -> dict[str, str]:
    """``usage_track``/``usage_get`` keyword for the end user ``ref`` names."""
    lookup = end_user_lookup(ref)
    return {"user_public_id": lookup["public_id"]} if "public_id" in lookup else {"external_id": lookup["external_id"]}


class TrackUsageApi(EndUserAPIView):
    """``POST /api/data``: count one call for the end user and enforce the tier limit."""

    @extend_schema(
        operation_id="usage_track",
        summary="Count one call and enforce the tier limit",
        description=(
            "With the secret key the end user is named by `X-User-Id` (a `usr_…` id or your `externalId`) or "
            "by an end-user token; with the publishable key only by a token. An unknown `externalId` with the "
            "secret key creates the end user on the default tier when the project's *create end users on first "
            "use* setting is on (the default for new projects); otherwise it is a 404.\n\n"
            "At the limit: 403 with code `tier_limit_reached` and the current `usage`."
        ),
        parameters=END_USER_HEADERS,
        request=None,
        responses={200: UsageTrackedSerializer,
                   403: OpenApiResponse(TierLimitErrorSerializer, description=(
                       "`tier_limit_reached` (with the usage), or the key/token is not allowed here "
                       "(`secret_key_required`, `user_token_required`, `live_mode_requires_paid_plan`); "
                       "those carry only the error keys.")),
                   **errors(400, 401, 404, 429)},
    )
    def post(self, request: Request) -> Response:
        ref = self.end_user_ref()
        self.check_rate_limit(ref)
        usage = usage_track(project_id=self.key.project_id, mode=self.key.mode, **_named(ref),
                            create_unknown=self.key.auto_create_end_users and not self.browser_mode)
        # Hand-built on the hot path; equal to UsageTrackedSerializer's output (tests/usage/test_shapes.py).
        return Response({"success": True, "usage": usage_json(usage)})


class UsageApi(EndUserAPIView):
    """``GET /api/usage``: the end user's count, limit and period."""

    @extend_schema(
        operation_id="usage_get",
        summary="The end user's usage this period",
        description="Named as for `POST /api/data`; an unknown end user is a 404 (never created here).",
        parameters=END_USER_HEADERS,
        responses={200: UsageSerializer, **errors(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        ref = self.end_user_ref()
        self.check_rate_limit(ref)
        usage = usage_get(project_id=self.key.project_id, mode=self.key.mode, **_named(ref))
        return Response(UsageSerializer(usage).data)
