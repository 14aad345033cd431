"""Base class for every key-authenticated API view: tenancy is structural.

A view never builds an unscoped query: it asks ``self.end_users()``, ``self.tiers()``…,
which are already filtered to the key's project and mode.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request
from rest_framework.views import APIView

from dreamapi.cors import add_cors_headers, origin_allowed, preflight_response
from dreamapi.errors import ApiError, NotFound, lean_error_response
from dreamapi.ratelimit import RateLimited, rate_limit_hit

from .audit import Actor
from .authentication import PublicKeyAuthentication, SecretKeyAuthentication
from .keycache import KeyContext
from .models import EXTERNAL_ID_PATTERN, ApiKey, EndUser, Project, end_user_lookup


class ProjectAPIView(APIView):
    authentication_classes = [SecretKeyAuthentication]
    permission_classes: list = []

    request: Request

    @property
    def key(self) -> KeyContext:
        return self.request.auth

    @property
    def actor(self) -> Actor:
        """Who the audit log names for a change made through this call: the API key."""
        return Actor.api_key(self.key)

    @property
    def mode(self) -> str:
        return self.key.mode

    def project(self) -> Project:
        return Project.objects.select_related("platform").get(pk=self.key.project_id)

    def end_users(self) -> QuerySet[EndUser]:
        return EndUser.objects.filter(project_id=self.key.project_id, mode=self.key.mode)

    def tiers(self) -> QuerySet:
        # The tier model through the foreign key an end user must have: tenants imports no app built on it.
        tier_model = EndUser.tier.field.related_model
        return tier_model.objects.filter(project_id=self.key.project_id, mode=self.key.mode)


class PublicProjectAPIView(ProjectAPIView):
    """Endpoints a browser may call with the publishable key: preflights are answered, and
    publishable-key calls get CORS headers for the project's allowed origins. Secret-key
    calls never do."""

    authentication_classes = [PublicKeyAuthentication]

    @property
    def browser_mode(self) -> bool:
        """Called with the publishable key (a browser), not the secret key (a server)."""
        return self.key.kind == ApiKey.Kind.PUBLISHABLE

    def dispatch(self, request, *args, **kwargs):
        # A preflight carries no key: answer it before authentication runs.
        if request.method == "OPTIONS":
            return preflight_response(request, methods=self._allowed_methods())
        return super().dispatch(request, *args, **kwargs)

    def cors_origins(self, context: KeyContext) -> tuple[str, ...]:
        """Origins whose browsers may read this view's answers to a publishable-key call."""
        return context.allowed_origins

    def check_redirect_urls(self, urls: dict[str, str | None]) -> None:
        """In browser mode, URLs a person will be sent to must be on the project's allowed
        origins (anyone can call with a publishable key; only the developer's pages may be targets)."""
        if not self.browser_mode:
            return
        for field, url in urls.items():
            # Our own pages (e.g. /refresh as a Checkout success URL) check their redirect themselves.
            if url is not None and not origin_allowed(url, (*self.key.allowed_origins, settings.SITE_URL)):
                message = (f"{field} must be on one of this project's allowed origins when called with the "
                           "publishable key (dashboard → Settings).")
                raise ApiError(message, code="redirect_not_allowed", extra={"fields": {field: [message]}})

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        context = getattr(request, "auth", None) if getattr(request, "_authenticator", None) else None
        if context is not None and context.kind == ApiKey.Kind.PUBLISHABLE:
            add_cors_headers(request, response, self.cors_origins(context))
        return response


class PublicReadSecretWriteAPIView(PublicProjectAPIView):
    """A collection a browser may read with the publishable key (CORS) and a script may
    write with the secret key. Writes never carry CORS headers."""

    READ_METHODS = ("GET", "HEAD", "OPTIONS")

    def get_authenticators(self):
        method = getattr(self.request, "method", None)  # None while the schema generator builds a request
        if method is not None and method not in self.READ_METHODS:
            return [SecretKeyAuthentication()]
        return super().get_authenticators()

    def finalize_response(self, request, response, *args, **kwargs):
        if request.method in self.READ_METHODS:
            return super().finalize_response(request, response, *args, **kwargs)
        return ProjectAPIView.finalize_response(self, request, response, *args, **kwargs)


UserTokenVerifier = Callable[..., str]
_user_token_verifier: UserTokenVerifier | None = None


def user_token_verifier(verify: UserTokenVerifier) -> UserTokenVerifier:
    """Register ``verify(*, token, key) -> usr_ id``: end-user tokens are issued and checked by
    the sign-up app, which is built on tenants and registers here in its ``AppConfig.ready``."""
    global _user_token_verifier
    _user_token_verifier = verify
    return verify


_USER_REF_RE = re.compile(EXTERNAL_ID_PATTERN)
# The header names of an end-user token: ours, and the two the original service's clients send.
USER_TOKEN_HEADERS = ("HTTP_X_USER_TOKEN", "HTTP_X_CLERK_TOKEN", "HTTP_X_END_USER_TOKEN")


class EndUserAPIView(PublicProjectAPIView):
    """Endpoints that act for one end user.

    With the secret key the end user is named by ``X-User-Id`` (our ``usr_…`` id or the app's
    ``externalId``) or by an end-user token. With the publishable key (browser mode) only a
    token of this project and mode names them: ``X-User-Id`` is refused, so a browser can never
    act for an end user by naming an id. The token may come as ``X-User-Token``,
    ``X-Clerk-Token`` or ``X-End-User-Token``.

    ``X-User-Plan`` (sent by clients of the original service) is accepted and ignored:
    the stored plan decides the limit. Each end user is rate limited per minute.
    """

    rate_limit_headers: dict[str, str]

    def user_token(self) -> str | None:
        tokens = {value for name in USER_TOKEN_HEADERS if (value := self.request.META.get(name, "").strip())}
        if len(tokens) > 1:
            raise ApiError("Send one end-user token: X-User-Token, X-Clerk-Token and X-End-User-Token differ.",
                           code="conflicting_user_tokens")
        return tokens.pop() if tokens else None

    def end_user_ref(self) -> str:
        """The end user's ``usr_…`` id (from a token) or what ``X-User-Id`` says (our id or an external id)."""
        token = self.user_token()
        if self.browser_mode:
            if "HTTP_X_USER_ID" in self.request.META:
                raise ApiError(
                    "With the publishable key the end user is named only by their token (X-User-Token or "
                    "X-Clerk-Token); X-User-Id needs the secret key.",
                    code="user_token_required", title="Forbidden", status_code=403,
                )
            if token is None:
                raise ApiError("Send the signed-in end user's token (X-User-Token or X-Clerk-Token) with the "
                               "publishable key.", code="user_token_required", title="Unauthorized", status_code=401)
        if token is not None:
            if _user_token_verifier is None:
                raise ApiError("End-user tokens are not accepted here.", code="invalid_user_token",
                               title="Unauthorized", status_code=401)
            return _user_token_verifier(token=token, key=self.key)
        ref = (self.request.META.get("HTTP_X_USER_ID") or "").strip()
        if not ref:
            raise ApiError("Name the end user with the X-User-Id header (or an end-user token).",
                           code="end_user_required")
        if not _USER_REF_RE.match(ref):
            raise ApiError("X-User-Id is not a valid end-user id: a usr_… id or an external id of 1–128 letters, "
                           "digits or . _ : @ | + -.", code="invalid_end_user_id")
        return ref

    def end_user(self) -> EndUser:
        """The named end user of this project and mode (rate limited), or 404."""
        ref = self.end_user_ref()
        self.check_rate_limit(ref)
        end_user = self.end_users().select_related("tier", "project").filter(**end_user_lookup(ref)).first()
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

    def dispatch_lean(self, request: HttpRequest, handler: Callable[[], HttpResponse]) -> HttpResponse:
        """What ``dispatch`` does for a request ``lean_request_ok`` accepts, without DRF's
        per-request machinery (its Request wrapper, content negotiation, the Response and its
        renderer): the same authentication, the same view code (``handler``), the same JSON
        error shape (``api_exception_handler``, rendered by DRF's JSON renderer) and the same
        headers (rate limits, ``Allow``, CORS in browser mode). For the hot path only."""
        self.request = request  # type: ignore[assignment]  # the view code reads only META and .auth
        self.args, self.kwargs = (), {}
        self.headers = self.default_response_headers
        (authenticator,) = self.get_authenticators()  # DRF would try several; these views have one
        context: KeyContext | None = None
        try:
            principal, context = authenticator.authenticate(request)  # type: ignore[arg-type]
            # As DRF's Request does: the Django request carries the principal too.
            request.auth, request.user = context, principal  # type: ignore[attr-defined,assignment]
            response = handler()
        except Exception as exc:
            error_response = lean_error_response(exc)
            if error_response is None:
                raise  # outages and bugs: the middleware answers, as for DRF views
            response = error_response
        for name, value in getattr(self, "rate_limit_headers", {}).items():
            response.headers.setdefault(name, value)
        for name, value in self.headers.items():
            response[name] = value
        if context is not None and context.kind == ApiKey.Kind.PUBLISHABLE:
            add_cors_headers(request, response, self.cors_origins(context))
        return response


# Accept headers the JSON renderer is chosen for without DRF's negotiation: no parameters (DRF
# reads e.g. "; indent=4"), and one of these among the types.
_LEAN_ACCEPT = frozenset({"*/*", "application/*", "application/json"})


def lean_request_ok(meta) -> bool:
    """Whether a request's answer needs none of DRF's negotiation: no query string (DRF reads
    ``?format=``) and an ``Accept`` header that DRF would answer with JSON as it is."""
    if meta.get("QUERY_STRING"):
        return False
    accept = meta.get("HTTP_ACCEPT")
    if accept is None:
        return True
    return ";" not in accept and not _LEAN_ACCEPT.isdisjoint(part.strip() for part in accept.split(","))
