"""Hosted end-user pages (/signup, /signin, /account, /refresh, …), the JWKS, and the dashboard page for them."""

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
    path("dashboard/projects/<str:project_id>/signup/", views.dashboard, name="dashboard"),
    path("dashboard/projects/<str:project_id>/signup/rotate-key/", views.dashboard_rotate_key, name="rotate_key"),
]
