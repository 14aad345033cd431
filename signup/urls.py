"""Hosted end-user pages (/signup, /signin, …) and the JWKS endpoint."""

app_name = "signup"

urlpatterns: list = []
