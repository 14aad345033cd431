from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from tenants.services import project_setup_step

        from . import stripe_api
        from .services import tier_create_defaults

        stripe_api.configure_globals()
        # Every new project starts with a free default tier in each mode.
        project_setup_step(tier_create_defaults)
        from . import signals  # noqa: F401  (connects the dj-stripe receivers)
