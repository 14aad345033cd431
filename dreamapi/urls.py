from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView

from billing.views import stripe_webhook

from .health import health

urlpatterns = [
    path("health", health, name="health"),
    path("webhook/stripe", stripe_webhook, name="stripe-webhook"),
    # dj-stripe's endpoint: events of the platform's own account (the developers' plan).
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("api/auth/", include("signup.api_urls")),
    path("api/", include("dashboard.api_urls")),
    path("api/", include("dreamapi.api_urls")),
    # Where Checkout returns end users when neither the API call nor the project names a URL.
    path("checkout/success", TemplateView.as_view(template_name="billing/checkout_done.html",
                                                  extra_context={"success": True}), name="checkout-success"),
    path("checkout/cancel", TemplateView.as_view(template_name="billing/checkout_done.html",
                                                 extra_context={"success": False}), name="checkout-cancel"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("", include("signup.urls")),
    path("", RedirectView.as_view(pattern_name="dashboard:home", permanent=False)),
]

# An exception no view handled (e.g. raised inside a middleware): a dependency outage is a 503.
handler500 = "dreamapi.pages.server_error"
