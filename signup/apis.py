"""Secret-key endpoints under /api/auth/: code exchange, token refresh and revocation."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from dreamapi.clientip import client_ip
from dreamapi.errors import NotFound
from dreamapi.openapi import X_ENV, errors
from tenants.api_base import ProjectAPIView
from tenants.models import EndUser
from tenants.serializers import CustomerSerializer, customer_json, iso

from . import services
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


class CodeExchangeApi(ProjectAPIView):
    """``POST /api/auth/exchange {code, redirectUri}`` → the end user and a token."""

    @extend_schema(operation_id="auth_exchange", summary="Exchange a sign-in code for the end user and a token",
                   parameters=[X_ENV], request=CodeExchangeSerializer,
                   responses={200: SignedIn, **errors(400, 401, 403, 429)})
    def post(self, request: Request) -> Response:
        serializer = CodeExchangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        end_user = services.sign_in_code_exchange(
            key=self.key,
            code=serializer.validated_data["code"],
            redirect_uri=serializer.validated_data["redirectUri"],
            client_ip=client_ip(request),
        )
        issued = end_user_token_issue(end_user=end_user)
        return Response(_signed_in(end_user, issued))


class TokenRefreshApi(ProjectAPIView):
    """``POST /api/auth/refresh {customerId} | {token}`` → a new token."""

    @extend_schema(operation_id="auth_refresh", summary="Issue a new end-user token",
                   parameters=[X_ENV], request=TokenRefreshSerializer,
                   responses={200: SignedIn, **errors(400, 401, 403, 404)})
    def post(self, request: Request) -> Response:
        serializer = TokenRefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        end_user, issued = services.end_user_token_refresh(
            key=self.key,
            customer_id=serializer.validated_data.get("customerId"),
            token=serializer.validated_data.get("token"),
        )
        return Response(_signed_in(end_user, issued))


class TokenRevokeApi(ProjectAPIView):
    """``POST /api/auth/revoke {customerId}``: every token issued so far stops working."""

    @extend_schema(operation_id="auth_revoke", summary="Revoke every token of an end user",
                   parameters=[X_ENV], request=TokenRevokeSerializer,
                   responses={200: inline_serializer("Revoked", {"success": serializers.BooleanField(),
                                                                 "customerId": serializers.CharField(),
                                                                 "revokedAt": serializers.DateTimeField()}),
                              **errors(400, 401, 403, 404)})
    def post(self, request: Request) -> Response:
        serializer = TokenRevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer_id = serializer.validated_data["customerId"]
        end_user = self.end_users().filter(public_id=customer_id).first()
        if end_user is None:
            raise NotFound(f"No end user '{customer_id}' in this project and mode.", code="end_user_not_found")
        state = services.end_user_tokens_revoke(end_user=end_user)
        return Response({"success": True, "customerId": end_user.public_id, "revokedAt": iso(state.tokens_revoked_at)})
