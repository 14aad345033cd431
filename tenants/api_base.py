"""Base class for every key-authenticated API view: tenancy is structural.

A view never builds an unscoped query: it asks ``self.end_users()``, ``self.tiers()``…,
which are already filtered to the key's project and mode.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.request import Request
from rest_framework.views import APIView

from dreamapi.cors import add_cors_headers, preflight_response
from dreamapi.errors import ApiError, NotFound
from dreamapi.ratelimit import RateLimited, rate_limit_hit

from .authentication import PublicKeyAuthentication, SecretKeyAuthentication
from .keycache import KeyContext
from .models import EndUser, Project


class ProjectAPIView(APIView):
    authentication_classes = [SecretKeyAuthentication]
    permission_classes: list = []

    request: Request

    @property
    def key(self) -> KeyContext:
        return self.request.auth

    @property
    def mode(self) -> str:
        return self.key.mode

    def project(self) -> Project:
        return Project.objects.select_related("platform").get(pk=self.key.project_id)

    def end_users(self) -> QuerySet[EndUser]:
        return EndUser.objects.filter(project_id=self.key.project_id, mode=self.key.mode)

    def tiers(self):  # -> QuerySet[Tier]
        from billing.models import Tier

        return Tier.objects.filter(project_id=self.key.project_id, mode=self.key.mode)


class PublicProjectAPIView(ProjectAPIView):
    """Read-only endpoints that a browser may call with the publishable key (CORS-enabled)."""

    authentication_classes = [PublicKeyAuthentication]

    def dispatch(self, request, *args, **kwargs):
        # A preflight carries no key: answer it before authentication runs.
        if request.method == "OPTIONS":
            return preflight_response(request)
        return super().dispatch(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        context = getattr(request, "auth", None) if getattr(request, "_authenticator", None) else None
        if context is not None:
            add_cors_headers(request, response, context.allowed_origins)
        return response


_USER_REF_MAX = 64


class EndUserAPIView(ProjectAPIView):
    """Endpoints that act for one end user, named by ``X-User-Id`` or ``X-User-Token``.

    ``X-User-Plan`` (sent by clients of the original service) is accepted and ignored:
    the stored plan decides the limit. Each end user is rate limited per minute.
    """

    rate_limit_headers: dict[str, str]

    def end_user_ref(self) -> str:
        token = self.request.META.get("HTTP_X_USER_TOKEN")
        if token:
            from signup.tokens import end_user_ref_from_token

            return end_user_ref_from_token(token=token, key=self.key)
        ref = (self.request.META.get("HTTP_X_USER_ID") or "").strip()
        if not ref:
            raise ApiError("Name the end user with the X-User-Id header (or X-User-Token).",
                           code="end_user_required")
        if len(ref) > _USER_REF_MAX or not ref.isascii() or not ref.replace("_", "").replace("-", "").isalnum():
            raise ApiError("X-User-Id is not a valid end-user id.", code="invalid_end_user_id")
        return ref

    def end_user(self) -> EndUser:
        """The named end user of this project and mode (rate limited), or 404."""
        ref = self.end_user_ref()
        self.check_rate_limit(ref)
        end_user = self.end_users().select_related("tier", "project").filter(public_id=ref).first()
        if end_user is None:
            raise NotFound(f"No end user '{ref}' in this project and mode.", code="end_user_not_found")
        return end_user

    def check_rate_limit(self, ref: str) -> None:
        result = rate_limit_hit(
            scope=f"u:{self.key.project_id}:{self.key.mode}:{ref}", limit=self.key.rate_limit_per_minute
        )
        self.rate_limit_headers = result.headers()
        if not result.allowed:
            raise RateLimited(f"Too many requests for this end user; try again in {result.retry_after} s.",
                              retry_after=result.retry_after, headers=self.rate_limit_headers)

    def finalize_response(self, request, response, *args, **kwargs):
        for name, value in getattr(self, "rate_limit_headers", {}).items():
            response.headers.setdefault(name, value)
        return super().finalize_response(request, response, *args, **kwargs)
