from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from billing.views import stripe_webhook

from .health import health

urlpatterns = [
    path("health", health, name="health"),
    path("webhook/stripe", stripe_webhook, name="stripe-webhook"),
    # dj-stripe's endpoint: events of the platform's own account (the developers' plan).
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("api/auth/", include("signup.api_urls")),
    path("api/", include("dreamapi.api_urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("dashboard/", include("tenants.urls")),
    path("dashboard/", include("billing.urls")),
    path("", include("signup.urls")),
    path("", RedirectView.as_view(pattern_name="dashboard:home", permanent=False)),
]
