"""Hosted sign-up: per-project settings, token signing keys, one-time sign-in codes,
per-end-user token state and linked OpenID Connect identities."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from tenants.models import Mode

accent_color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #3b5bdb.")

DEFAULT_ACCENT_COLOR = "#3b5bdb"


class SignupSettings(models.Model):
    """How a project's hosted pages look and where they may send people back to.

    Created the first time the developer saves the dashboard page; until then the hosted
    pages use an unsaved instance with the defaults (and refuse every redirect).
    """

    project = models.OneToOneField("tenants.Project", on_delete=models.CASCADE, related_name="signup_settings")
    display_name = models.CharField(max_length=100, blank=True, help_text="Shown on the pages; the project name when empty.")
    logo_url = models.URLField(max_length=500, blank=True)
    accent_color = models.CharField(max_length=7, default=DEFAULT_ACCENT_COLOR, validators=[accent_color_validator])
    # Origins ("https://app.example.com", "http://localhost:3000") a redirect may go to.
    # Stored normalized (lower-case, default port dropped); see signup.redirects.
    redirect_origins = models.JSONField(default=list, blank=True)

    # One OpenID Connect provider per project (Google, Microsoft, GitLab, Auth0, Keycloak…).
    oidc_issuer = models.URLField(max_length=500, blank=True)
    oidc_client_id = models.CharField(max_length=255, blank=True)
    oidc_client_secret_encrypted = models.TextField(blank=True, editable=False)
    oidc_button_label = models.CharField(max_length=60, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "sign-up settings"
        verbose_name_plural = "sign-up settings"

    def __str__(self) -> str:
        return f"sign-up settings of {self.project_id}"

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret_encrypted)


class SigningKey(models.Model):
    """A project's key pair for end-user tokens (ES256).

    The active key (``retired_at`` null) signs. A rotated key no longer signs but stays in
    the JWKS, and keeps verifying, until ``verify_until``: by then every token it signed has
    expired. The private key is kept only encrypted (signup.crypto) and never leaves the server.
    """

    project = models.ForeignKey("tenants.Project", on_delete=models.CASCADE, related_name="signing_keys")
    kid = models.CharField(max_length=40, unique=True, editable=False)
    algorithm = models.CharField(max_length=10, default="ES256", editable=False)
    public_jwk = models.JSONField(editable=False)
    private_key_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)
    verify_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=Q(retired_at__isnull=True), name="one_active_signing_key_per_project"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({'active' if self.retired_at is None else 'retired'})"


class SignInCode(models.Model):
    """A one-time code handed to the developer's redirect URL after a sign-in.

    Only its SHA-256 digest is stored. It is bound to a project, a mode and the exact
    redirect URL, lives a few minutes and is consumed by one conditional UPDATE.
    """

    class Method(models.TextChoices):
        PASSWORD = "password", "E-mail and password"
        EMAIL_VERIFICATION = "verification", "E-mail verification"
        PASSWORD_RESET = "reset", "Password reset"
        OIDC = "oidc", "OpenID Connect"

    digest = models.CharField(max_length=64, unique=True, editable=False)
    project = models.ForeignKey("tenants.Project", on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=4, choices=Mode.choices)
    end_user = models.ForeignKey("tenants.EndUser", on_delete=models.CASCADE, related_name="sign_in_codes")
    redirect_uri = models.TextField()
    method = models.CharField(max_length=12, choices=Method.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"sign-in code for {self.end_user_id} ({self.method})"


class EndUserAuth(models.Model):
    """Sign-in state of one end user that the tenants app does not need to know about.

    ``token_version`` is copied into every token as ``ver``; revoking an end user's tokens
    increments it, and a token whose ``ver`` is lower is refused. A counter rather than a
    "valid after" timestamp because a JWT's ``iat`` has one-second resolution: a token
    refreshed in the same second as a revocation would otherwise be refused or let through
    depending on rounding.
    """

    end_user = models.OneToOneField("tenants.EndUser", on_delete=models.CASCADE, related_name="signup_auth")
    token_version = models.PositiveIntegerField(default=0)
    tokens_revoked_at = models.DateTimeField(null=True, blank=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"auth state of {self.end_user_id}"


class OidcIdentity(models.Model):
    """An account at an OpenID provider, linked to an end user (issuer + subject, never the e-mail)."""

    end_user = models.ForeignKey("tenants.EndUser", on_delete=models.CASCADE, related_name="oidc_identities")
    project = models.ForeignKey("tenants.Project", on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=4, choices=Mode.choices)
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "OpenID identity"
        verbose_name_plural = "OpenID identities"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "mode", "issuer", "subject"], name="oidc_identity_unique_per_project_mode"
            )
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject} → {self.end_user_id}"
