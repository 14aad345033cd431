from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Developer webhooks"

    def ready(self) -> None:
        from tenants.services import end_user_listener

        from .services import customer_events

        # customer.created / customer.deleted, from wherever end users are created or deleted.
        end_user_listener(customer_events)
