"""Forms of the hosted pages and of the dashboard page.

The hosted forms render through templates/signup/_field.html; ``AccessibleForm`` sets the
ARIA attributes that template relies on (``aria-describedby`` for help and errors,
``aria-invalid``, ``autofocus`` on the first field to fix).
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation

from tenants.models import EndUser

from .models import accent_color_validator
from .oidc import insecure_issuers_allowed
from .redirects import InvalidRedirect, origin_normalize


class AccessibleForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}_help"
        first = next(iter(self.fields.values()), None)
        if first is not None and not self.is_bound:
            first.widget.attrs["autofocus"] = True

    def full_clean(self) -> None:
        super().full_clean()
        first_invalid = True
        for name in self.errors:
            if name not in self.fields:
                continue
            attrs = self.fields[name].widget.attrs
            described = [f"id_{name}_errors"]
            if self.fields[name].help_text:
                described.append(f"id_{name}_help")
            attrs["aria-describedby"] = " ".join(described)
            attrs["aria-invalid"] = "true"
            if first_invalid:
                attrs["autofocus"] = True
                first_invalid = False


def _email_field() -> forms.EmailField:
    return forms.EmailField(
        label="E-mail address", max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email", "autocapitalize": "none",
                                       "spellcheck": "false"}),
    )


def _validate_new_password(password: str, email: str) -> None:
    # Django's validators (length, common passwords, numeric, similarity to the e-mail),
    # run against a throwaway EndUser so the similarity check sees the address.
    password_validation.validate_password(password, user=EndUser(email=email))


class SignUpForm(AccessibleForm):
    email = _email_field()
    password = forms.CharField(
        label="Password", strip=False, max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters; not a common password and not only digits.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("email") and cleaned.get("password"):
            try:
                _validate_new_password(cleaned["password"], cleaned["email"])
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class SignInForm(AccessibleForm):
    email = _email_field()
    password = forms.CharField(
        label="Password", strip=False, max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class EmailForm(AccessibleForm):
    """Forgot-password and resend-confirmation requests."""

    email = _email_field()


def _new_password_field(label: str = "New password") -> forms.CharField:
    return forms.CharField(
        label=label, strip=False, max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters; not a common password and not only digits.",
    )


class SetPasswordForm(AccessibleForm):
    password = _new_password_field()

    def __init__(self, *args, email: str, label: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        if label:
            self.fields["password"].label = label

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        _validate_new_password(password, self.email)
        return password


class AccountProfileForm(AccessibleForm):
    first_name = forms.CharField(label="First name", max_length=100, required=False,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label="Last name", max_length=100, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_name"].widget.attrs.pop("autofocus", None)  # the page has several forms


class PasswordChangeForm(AccessibleForm):
    current_password = forms.CharField(
        label="Current password", strip=False, max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = _new_password_field()

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields["current_password"].widget.attrs.pop("autofocus", None)

    def clean_new_password(self) -> str:
        password = self.cleaned_data["new_password"]
        _validate_new_password(password, self.email)
        return password


class DeleteAccountForm(AccessibleForm):
    confirmation = forms.CharField(label="Type DELETE to confirm", max_length=20,
                                   widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                                 "spellcheck": "false"}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["confirmation"].widget.attrs.pop("autofocus", None)


class SignupSettingsForm(forms.Form):
    display_name = forms.CharField(max_length=100, required=False, help_text="Shown on the pages; the project name "
                                                                              "when empty.")
    logo_url = forms.URLField(max_length=500, required=False, assume_scheme="https", label="Logo URL",
                              help_text="An https:// image, shown at most 48 px high.")
    accent_color = forms.CharField(max_length=7, validators=[accent_color_validator], label="Accent colour",
                                   widget=forms.TextInput(attrs={"type": "color"}))
    redirect_origins = forms.CharField(
        required=False, label="Allowed redirect origins", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, like https://app.example.com or http://localhost:3000. Sign-up and sign-in send "
                  "people back only to URLs on these origins.",
    )
    oidc_issuer = forms.URLField(max_length=500, required=False, assume_scheme="https", label="OpenID Connect issuer",
                                 help_text="e.g. https://accounts.google.com. Leave empty for e-mail and password only.")
    oidc_client_id = forms.CharField(max_length=255, required=False, label="Client ID")
    oidc_client_secret = forms.CharField(
        max_length=500, required=False, label="Client secret", strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Stored encrypted and never shown again. Leave empty to keep the current one.",
    )
    oidc_clear_secret = forms.BooleanField(required=False, label="Remove the stored client secret")
    oidc_button_label = forms.CharField(max_length=60, required=False, label="Button label",
                                        help_text="e.g. Continue with Google")

    def clean_logo_url(self) -> str:
        url = self.cleaned_data["logo_url"]
        if url and not url.startswith("https://"):
            raise forms.ValidationError("Use an https:// URL, so the page stays secure.")
        return url

    def clean_accent_color(self) -> str:
        return self.cleaned_data["accent_color"].lower()

    def clean_redirect_origins(self) -> list[str]:
        origins = []
        for line in self.cleaned_data["redirect_origins"].splitlines():
            if not line.strip():
                continue
            try:
                origins.append(origin_normalize(line))
            except InvalidRedirect as exc:
                raise forms.ValidationError(f"{line.strip()}: {exc}") from exc
        return origins

    def clean_oidc_issuer(self) -> str:
        issuer = self.cleaned_data["oidc_issuer"]
        if issuer and not issuer.startswith("https://") and not insecure_issuers_allowed():
            raise forms.ValidationError("An issuer URL starts with https://.")
        return issuer

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("oidc_issuer") and not cleaned.get("oidc_client_id"):
            self.add_error("oidc_client_id", "Enter the client ID the provider gave you.")
        return cleaned

    def secret_change(self) -> str | None:
        """None keeps the stored secret, "" removes it, anything else replaces it."""
        if self.cleaned_data.get("oidc_clear_secret"):
            return ""
        return self.cleaned_data.get("oidc_client_secret") or None
