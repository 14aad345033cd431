"""Key-authenticated sign-up endpoints under /api/auth/."""

from django.urls import path

from .apis import CodeExchangeApi, TokenRefreshApi, TokenRevokeApi

urlpatterns = [
    path("exchange", CodeExchangeApi.as_view(), name="api-auth-exchange"),
    path("refresh", TokenRefreshApi.as_view(), name="api-auth-refresh"),
    path("revoke", TokenRevokeApi.as_view(), name="api-auth-revoke"),
]
