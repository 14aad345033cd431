from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from dreamapi.openapi import END_USER_HEADERS, errors
from tenants.api_base import EndUserAPIView

from .selectors import usage_get
from .services import usage_track


UsageSerializer = inline_serializer(
    "Usage",
    {
        "count": serializers.IntegerField(),
        "limit": serializers.IntegerField(allow_null=True, help_text="null: unlimited"),
        "remaining": serializers.IntegerField(allow_null=True),
        "periodStart": serializers.DateTimeField(),
        "periodEnd": serializers.DateTimeField(help_text="Exclusive end of the period."),
    },
)


class TrackUsageApi(EndUserAPIView):
    """``POST /api/data``: count one call for the end user and enforce the tier limit."""

    @extend_schema(
        operation_id="usage_track",
        summary="Count one call and enforce the tier limit",
        description="At the limit: 403 with code `tier_limit_reached` and the current `usage`.",
        parameters=END_USER_HEADERS,
        request=None,
        responses={200: inline_serializer("Tracked", {"success": serializers.BooleanField(), "usage": UsageSerializer}),
                   **errors(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request) -> Response:
        ref = self.end_user_ref()
        self.check_rate_limit(ref)
        usage = usage_track(project_id=self.key.project_id, mode=self.key.mode, user_public_id=ref)
        return Response({"success": True, "usage": usage.as_dict()})


class UsageApi(EndUserAPIView):
    """``GET /api/usage``: the end user's count, limit and period."""

    @extend_schema(
        operation_id="usage_get",
        summary="The end user's usage this period",
        parameters=END_USER_HEADERS,
        responses={
            200: inline_serializer(
                "UsageSummary",
                {
                    "usageCount": serializers.IntegerField(),
                    "limit": serializers.IntegerField(allow_null=True),
                    "remaining": serializers.IntegerField(allow_null=True),
                    "plan": serializers.CharField(),
                    "periodStart": serializers.DateTimeField(),
                    "periodEnd": serializers.DateTimeField(),
                },
            ),
            **errors(400, 401, 403, 404, 429),
        },
    )
    def get(self, request: Request) -> Response:
        ref = self.end_user_ref()
        self.check_rate_limit(ref)
        usage = usage_get(project_id=self.key.project_id, mode=self.key.mode, user_public_id=ref)
        data = usage.as_dict()
        return Response(
            {
                "usageCount": usage.count,
                "limit": usage.limit,
                "remaining": usage.remaining,
                "plan": usage.plan,
                "periodStart": data["periodStart"],
                "periodEnd": data["periodEnd"],
            }
        )

