from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from dreamapi.errors import json_bytes
from dreamapi.openapi import END_USER_HEADERS, ErrorSerializer, errors
from tenants.api_base import EndUserAPIView, lean_request_ok
from tenants.models import end_user_lookup

from .idempotency import IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN, check_idempotency_key
from .selectors import end_user_get, feature_check, usage_for_end_user, usage_report
from .serializers import (
    CheckQuerySerializer,
    FeatureCheckSerializer,
    FeatureQuerySerializer,
    TierLimitErrorSerializer,
    TrackRequestSerializer,
    UsageReportSerializer,
    UsageTrackedSerializer,
    usage_json,
)
from .services import Usage, usage_track


def _named(ref: str) -> dict[str, str]:
    """``usage_track``/``usage_get`` keyword for the end user ``ref`` names."""
    lookup = end_user_lookup(ref)
    return {"user_public_id": lookup["public_id"]} if "public_id" in lookup else {"external_id": lookup["external_id"]}


def has_json_body(meta: Mapping[str, Any]) -> bool:
    """Whether ``POST /api/data`` reads the body: a non-empty one with a JSON content type."""
    content_type = meta.get("CONTENT_TYPE", meta.get("HTTP_CONTENT_TYPE", ""))
    return meta.get("CONTENT_LENGTH") not in (None, "", "0") and "json" in content_type


def tracked_json(usage: Usage) -> dict[str, Any]:
    # Hand-built on the hot path; equal to UsageTrackedSerializer's output (tests/usage/test_shapes.py).
    return {"success": True, "usage": usage_json(usage)}


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN, "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH},
    OpenApiParameter.HEADER, description=(
        "Optional. A retry with the same key for the same end user within 24 h gets the first answer (200, or the "
        "403 `tier_limit_reached`) with `Idempotent-Replayed: true`, and counts nothing, even while the first call "
        "is still running. The same key with another feature or amount: 409 `idempotency_key_reused`."),
)


class TrackUsageApi(EndUserAPIView):
    """``POST /api/data``: count one use (or ``{feature, amount}``) and enforce the tier's limit."""

    @extend_schema(
        operation_id="usage_track",
        summary="Count a use and enforce the tier's limit",
        description=(
            "With the secret key the end user is named by `X-User-Id` (a `usr_…` id or your `externalId`) or "
            "by an end-user token; with the publishable key only by a token. An unknown `externalId` with the "
            "secret key creates the end user on the default tier when the project's *create end users on first "
            "use* setting is on (the default for new projects); otherwise it is a 404.\n\n"
            "Without a body one use of the default meter (`api_calls`: the tier's calls per period) is counted. "
            "`{\"feature\": \"exports\", \"amount\": 5}` counts 5 uses of a metered feature, all or nothing: "
            "they are counted only if the count stays within the limit. The answer's usage then names the "
            "`feature`.\n\n"
            "At the limit (or a feature the end user's plan does not include): 403 with code "
            "`tier_limit_reached` and the current `usage`; nothing is counted."
        ),
        parameters=[*END_USER_HEADERS, IDEMPOTENCY_KEY],
        request=TrackRequestSerializer,
        responses={200: UsageTrackedSerializer,
                   403: OpenApiResponse(TierLimitErrorSerializer, description=(
                       "`tier_limit_reached` (with the usage), or the key/token is not allowed here "
                       "(`secret_key_required`, `user_token_required`, `live_mode_requires_paid_plan`); "
                       "those carry only the error keys.")),
                   404: OpenApiResponse(ErrorSerializer, description=(
                       "`end_user_not_found`, or `unknown_feature`: no tier of the project has the feature.")),
                   409: OpenApiResponse(ErrorSerializer, description=(
                       "`idempotency_key_reused`: the Idempotency-Key was first used with another feature or "
                       "amount; `counter_full`: an unlimited meter reached 2,147,483,647 this period.")),
                   **errors(400, 401, 429)},
    )
    def post(self, request: Request) -> Response:
        def body() -> tuple[str | None, int]:
            # Only a JSON body is read: clients of the original service send none, or an empty form.
            return self._body(request) if has_json_body(request.META) else (None, 1)

        usage = self.track(body=body)
        response = Response(tracked_json(usage))
        if usage.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    def track(self, *, body: Callable[[], tuple[str | None, int]]) -> Usage:
        """The call's work once the key is known: the end user, the rate limit, the key, the count.
        ``body`` gives ``(feature, amount)``; it is read after the rate limit, as before."""
        ref = self.end_user_ref()
        self.check_rate_limit(ref)
        key = self.request.META.get("HTTP_IDEMPOTENCY_KEY")
        if key is not None:
            check_idempotency_key(key)
        feature, amount = body()
        return usage_track(project_id=self.key.project_id, mode=self.key.mode, **_named(ref), feature=feature,
                           amount=amount, idempotency_key=key,
                           create_unknown=self.key.auto_create_end_users and not self.browser_mode)

    @staticmethod
    def _body(request: Request) -> tuple[str | None, int]:
        data = request.data
        if data is None:
            return None, 1
        body = TrackRequestSerializer(data=data)
        body.is_valid(raise_exception=True)
        return body.validated_data.get("feature"), body.validated_data["amount"]


def _no_body() -> tuple[str | None, int]:
    return None, 1


_track_usage_drf = TrackUsageApi.as_view()


@csrf_exempt
def track_usage(request: HttpRequest) -> HttpResponse:
    """``POST /api/data``, the hot path: ``TrackUsageApi``'s own code, without DRF's per-request
    machinery when the request needs none of it (no body to parse, no query string, an Accept
    header JSON answers as it is: what clients send). Anything else (a JSON body, a preflight,
    another method, an unusual Accept) goes to ``TrackUsageApi`` through DRF, decided before
    anything is counted. Answers, errors and headers are the same either way
    (tests/usage/test_lean_view.py)."""
    if request.method != "POST" or has_json_body(request.META) or not lean_request_ok(request.META):
        return _track_usage_drf(request)
    view = TrackUsageApi()

    def handler() -> HttpResponse:
        usage = view.track(body=_no_body)
        response = HttpResponse(json_bytes(tracked_json(usage)), content_type="application/json")
        if usage.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    return view.dispatch_lean(request, handler)


# drf-spectacular documents the view behind a path by its ``cls``: the same as before.
track_usage.cls = TrackUsageApi  # type: ignore[attr-defined]
track_usage.initkwargs = {}  # type: ignore[attr-defined]
track_usage.view_class = TrackUsageApi  # type: ignore[attr-defined]
track_usage.view_initkwargs = {}  # type: ignore[attr-defined]


class UsageApi(EndUserAPIView):
    """``GET /api/usage``: the end user's count, limit and period (``?feature=`` one meter)."""

    @extend_schema(
        operation_id="usage_get",
        summary="The end user's usage this period",
        description=(
            "Named as for `POST /api/data`; an unknown end user is a 404 (never created here).\n\n"
            "Without `feature`: the default meter in the original service's shape, and, when the project defines "
            "features besides it, `features` with every meter. With `feature`: that meter alone, naming it "
            "(404 `unknown_feature`, 400 `feature_not_metered` for an on/off feature: see GET /api/check)."),
        parameters=[FeatureQuerySerializer, *END_USER_HEADERS],
        responses={200: UsageReportSerializer, **errors(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        query = FeatureQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        feature = query.validated_data.get("feature")
        end_user = self._end_user()
        if feature is None:
            return Response(UsageReportSerializer(usage_report(end_user=end_user)).data)
        return Response(UsageReportSerializer(usage_for_end_user(end_user=end_user, feature=feature)).data)

    def _end_user(self):
        ref = self.end_user_ref()
        self.check_rate_limit(ref)
        return end_user_get(project_id=self.key.project_id, mode=self.key.mode, **_named(ref))


class FeatureCheckApi(UsageApi):
    """``GET /api/check``: may the end user use a feature now? Counts nothing."""

    @extend_schema(
        operation_id="usage_check",
        summary="Whether the end user may use a feature now",
        description=(
            "Counts nothing: for a UI (show or hide, grey out) and for on/off features. A metered feature is "
            "allowed when `amount` (default 1) more uses fit in what is left this period, and the answer carries "
            "its usage; an on/off feature when the end user's plan has it. Without `feature`: the default meter. "
            "A feature no tier of the project has: 404 `unknown_feature`."),
        parameters=[CheckQuerySerializer, *END_USER_HEADERS],
        responses={200: FeatureCheckSerializer, **errors(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        query = CheckQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        check = feature_check(end_user=self._end_user(), feature=query.validated_data.get("feature"),
                              amount=query.validated_data["amount"])
        return Response(FeatureCheckSerializer(check).data)
