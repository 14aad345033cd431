from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "usage"
    verbose_name = "Usage"

    def ready(self) -> None:
        from tenants.services import end_user_listener

        from .features import end_user_plan_events

        # A plan change, wherever it happens, bumps the entitlement version and tells the developer.
        end_user_listener(end_user_plan_events)
