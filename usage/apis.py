from rest_framework.request import Request
from rest_framework.response import Response

from tenants.api_base import EndUserAPIView

from .selectors import usage_get
from .services import usage_track


class TrackUsageApi(EndUserAPIView):
    """``POST /api/data``: count one call for the end user and enforce the tier limit."""

    def post(self, request: Request) -> Response:
        ref = self.end_user_ref()
        self.check_rate_limit(ref)
        usage = usage_track(project_id=self.key.project_id, mode=self.key.mode, user_public_id=ref)
        return Response({"success": True, "usage": usage.as_dict()})


class UsageApi(EndUserAPIView):
    """``GET /api/usage``: the end user's count, limit and period."""

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

