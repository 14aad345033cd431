"""Hosted sign-up: per-project settings, token signing keys, pending sign-ups, one-time
sign-in codes, per-end-user token state, linked OpenID Connect identities and e-mails that
could not be queued."""

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


class PendingSignup(models.Model):
    """A sign-up waiting for its e-mail link; nothing about any account changes before.

    An anonymous visitor can type any address, so the password they chose is kept here, not
    on an account: several sign-ups for one address may wait side by side (the owner's and
    an attacker's), and only the one whose link is followed creates or claims the account,
    which voids the others. The password is used as is only in the browser that signed up
    (``browser_digest``); a link opened anywhere else asks for a password, so even an owner
    who follows the link of a sign-up someone else started ends up with their own.

    ``password`` empty means "keep the account's password": the sign-in of an existing,
    unconfirmed account with its right password. Only the link token's digest is stored.
    """

    project = models.ForeignKey("tenants.Project", on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=4, choices=Mode.choices)
    email = models.EmailField(max_length=254)
    password = models.CharField(max_length=128, blank=True, editable=False)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    browser_digest = models.CharField(max_length=64, blank=True, editable=False)
    redirect_uri = models.TextField()
    code_challenge = models.CharField(max_length=43, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    link_sent_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "mode", "created_at"]), models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"pending sign-up of {self.email} ({self.project_id}, {self.mode})"

    @property
    def is_open(self) -> bool:
        return self.confirmed_at is None and self.voided_at is None


class SignInCode(models.Model):
    """A one-time code handed to the developer's redirect URL after a sign-in.

    Only its SHA-256 digest is stored. It is bound to a project, a mode and the exact
    redirect URL, lives a few minutes and is consumed by one conditional UPDATE. A code
    issued for a browser-only app carries its PKCE ``code_challenge`` (RFC 7636, S256): only
    the holder of the matching verifier can exchange it.
    """

    class Method(models.TextChoices):
        PASSWORD = "password", "E-mail and password"
        EMAIL_VERIFICATION = "verification", "E-mail verification"
        PASSWORD_RESET = "reset", "Password reset"
        OIDC = "oidc", "OpenID Connect"
        SESSION = "session", "Hosted session (/refresh, /account)"

    digest = models.CharField(max_length=64, unique=True, editable=False)
    project = models.ForeignKey("tenants.Project", on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=4, choices=Mode.choices)
    end_user = models.ForeignKey("tenants.EndUser", on_delete=models.CASCADE, related_name="sign_in_codes")
    redirect_uri = models.TextField()
    code_challenge = models.CharField(max_length=43, blank=True)
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


class UnsentEmail(models.Model):
    """An e-mail to an end user that could not be handed to Celery (broker down) or whose
    delivery task gave up. ``signup.tasks.send_unsent_emails`` (Celery beat) retries it.

    The body holds live links, so it is stored encrypted (signup.crypto) and cleared once sent.
    """

    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    body_encrypted = models.TextField(editable=False)
    reason = models.CharField(max_length=20)  # "enqueue" or "delivery"
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sent_at", "created_at"])]

    def __str__(self) -> str:
        return f"{'sent' if self.sent_at else 'unsent'} e-mail to {self.to}: {self.subject}"
