from allauth.account.adapter import DefaultAccountAdapter

from .services import platform_get_or_create


class DeveloperAccountAdapter(DefaultAccountAdapter):
    """Every developer who signs up gets a Platform (their ``plt_…`` account)."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            platform_get_or_create(user=user)
        return user
