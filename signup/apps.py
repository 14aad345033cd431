from django.apps import AppConfig


class SignupConfig(AppConfig):
    name = "signup"
    verbose_name = "Hosted sign-up"

    def ready(self) -> None:
        from tenants.api_base import user_token_verifier

        from .tokens import end_user_ref_from_token

        # The API's end-user endpoints accept our tokens (X-User-Token and its aliases).
        user_token_verifier(end_user_ref_from_token)
