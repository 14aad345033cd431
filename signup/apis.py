"""Endpoints under /api/auth/: code exchange, token refresh and revocation.

A backend calls them with its secret key. A browser-only app calls them with the
publishable key and proves who it is with PKCE (exchange) or the end user's own token
(refresh, revoke); those calls are CORS-enabled for the project's allowed origins and its
sign-up redirect origins. Secret-key calls never get CORS headers.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from dreamapi.clientip import client_ip
from dreamapi.openapi import X_ENV, errors
from tenants.api_base import PublicProjectAPIView
from tenants.keycache import KeyContext
from tenants.models import EndUser
from tenants.serializers import CustomerSerializer, customer_json, iso

from . import services
from .models import SignupSettings
from .serializers import CodeExchangeSerializer, TokenRefreshSerializer, TokenRevokeSerializer
from .tokens import IssuedToken, end_user_token_issue

SignedIn = inline_serializer(
    "SignedIn",
    {
        "success": serializers.BooleanField(),
        "customer": CustomerSerializer(),
        "token": serializers.CharField(help_text="ES256 JWT; send it as X-User-Token."),
        "expiresIn": serializers.IntegerField(help_text="Seconds."),
    },
)


def _signed_in(end_user: EndUser, issued: IssuedToken) -> dict:
    return {"success": True, "customer": customer_json(end_user), "token": issued.token, "expiresIn": issued.expires_in}


class AuthAPIView(PublicProjectAPIView):
    """The secret key, or the publishable key from a browser (CORS for the project's allowed
    origins and its sign-up redirect origins: the page an end user comes back to)."""

    def cors_origins(self, context: KeyContext) -> tuple[str, ...]:
        redirect_origins = (SignupSettings.objects.filter(project_id=context.project_id)
                            .values_list("redirect_origins", flat=True).first() or [])
        return (*context.allowed_origins, *redirect_origins)


class CodeExchangeApi(AuthAPIView):
    """``POST /api/auth/exchange {code, redirectUri, codeVerifier?}`` → the end user and a token."""

    @extend_schema(operation_id="auth_exchange", summary="Exchange a sign-in code for the end user and a token",
                   description="With the secret key, or with the publishable key and `codeVerifier` (PKCE, S256) "
                               "for a code issued with a `code_challenge`.",
                   parameters=[X_ENV], request=CodeExchangeSerializer,
                   responses={200: SignedIn, **errors(400, 401, 403, 429)})
    def post(self, request: Request) -> Response:
        serializer = CodeExchangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        end_user = services.sign_in_code_exchange(
            key=self.key,
            code=serializer.validated_data["code"],
            redirect_uri=serializer.validated_data["redirectUri"],
            code_verifier=serializer.validated_data.get("codeVerifier"),
            client_ip=client_ip(request),
        )
        return Response(_signed_in(end_user, end_user_token_issue(end_user=end_user)))


class TokenRefreshApi(AuthAPIView):
    """``POST /api/auth/refresh {customerId} | {token}`` → a new token."""

    @extend_schema(operation_id="auth_refresh", summary="Issue a new end-user token",
                   description="With the secret key, name the end user by `customerId` or a previous `token`; with "
                               "the publishable key, only by `token`.",
                   parameters=[X_ENV], request=TokenRefreshSerializer,
                   responses={200: SignedIn, **errors(400, 401, 403, 404, 429)})
    def post(self, request: Request) -> Response:
        serializer = TokenRefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        end_user, issued = services.end_user_token_refresh(
            key=self.key,
            customer_id=serializer.validated_data.get("customerId"),
            token=serializer.validated_data.get("token"),
            client_ip=client_ip(request),
        )
        return Response(_signed_in(end_user, issued))


class TokenRevokeApi(AuthAPIView):
    """``POST /api/auth/revoke {customerId} | {token}``: every token issued so far stops working."""

    @extend_schema(operation_id="auth_revoke", summary="Revoke every token of an end user (sign out everywhere)",
                   description="With the secret key, name the end user by `customerId` or a `token`; with the "
                               "publishable key, by their own `token` (sign out).",
                   parameters=[X_ENV], request=TokenRevokeSerializer,
                   responses={200: inline_serializer("Revoked", {"success": serializers.BooleanField(),
                                                                 "customerId": serializers.CharField(),
                                                                 "revokedAt": serializers.DateTimeField()}),
                              **errors(400, 401, 403, 404, 429)})
    def post(self, request: Request) -> Response:
        serializer = TokenRevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        end_user = services.end_user_from_request(
            key=self.key,
            customer_id=serializer.validated_data.get("customerId"),
            token=serializer.validated_data.get("token"),
            client_ip=client_ip(request),
        )
        state = services.end_user_tokens_revoke(end_user=end_user)
        return Response({"success": True, "customerId": end_user.public_id, "revokedAt": iso(state.tokens_revoked_at)})
