from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from . import stripe_api

        stripe_api.configure_globals()
        from . import signals  # noqa: F401  (connects the dj-stripe receivers)
