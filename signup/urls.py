"""Hosted end-user pages (/signup, /signin, /account, /refresh, …) and the JWKS."""

from django.urls import path

from . import views

app_name = "signup"

urlpatterns = [
    path("signup", views.signup, name="signup"),
    path("signup/resend", views.resend, name="resend"),
    path("signup/verify", views.verify, name="verify"),
    path("signin", views.signin, name="signin"),
    path("signin/forgot", views.forgot, name="forgot"),
    path("signin/reset", views.reset, name="reset"),
    path("signin/oidc/start", views.oidc_start, name="oidc_start"),
    path("signin/oidc/callback", views.oidc_callback, name="oidc_callback"),
    path("account", views.account, name="account"),
    path("refresh", views.refresh, name="refresh"),
    path(".well-known/jwks/<str:project_id>.json", views.jwks, name="jwks"),
]
