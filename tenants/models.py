from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from .ids import public_id


class Mode(models.TextChoices):
    TEST = "test", "Test"
    LIVE = "live", "Live"


def _platform_id() -> str:
    return public_id("plt", 14)


def _project_id() -> str:
    return public_id("prj", 14)


def _end_user_id() -> str:
    return public_id("usr", 18)


# An app's own id for an end user (``externalId``): what ``X-User-Id`` may carry instead of our
# ``usr_…`` id. Printable ASCII that needs no escaping in a header and little in a URL path
# (Auth0's ``auth0|…``, e-mail-like ids, UUIDs, Clerk's ``user_…``). ``usr_`` is ours: an
# X-User-Id that starts with it is always looked up as our id, so no external id may.
EXTERNAL_ID_MAX_LENGTH = 128
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@|+-]{0,127}$"
OUR_ID_PREFIX = "usr_"
external_id_validator = RegexValidator(
    EXTERNAL_ID_PATTERN,
    "Use 1–128 letters, digits or . _ : @ | + -, starting with a letter or digit.",
)


def end_user_lookup(ref: str) -> dict[str, str]:
    """The filter that finds the end user ``ref`` names: our id (``usr_…``) or the app's external id."""
    return {"public_id": ref} if ref.startswith(OUR_ID_PREFIX) else {"external_id": ref}


class Platform(models.Model):
    """A developer's account: the tenant that owns projects. ``public_id`` never changes."""

    public_id = models.CharField(max_length=32, unique=True, default=_platform_id, editable=False)
    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="platform")
    # Whether the developer's platform plan is paid; live keys authenticate only while it is.
    # Kept in step with the platform subscription by billing; operators may set it by hand.
    paid_plan_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.public_id} ({self.owner})"


class Project(models.Model):
    class Kind(models.TextChoices):
        SAAS = "saas", "Subscriptions (tiers)"
        STORE = "store", "Store (products)"

    public_id = models.CharField(max_length=32, unique=True, default=_project_id, editable=False)
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=100)
    kind = models.CharField(
        max_length=10, choices=Kind.choices, default=Kind.SAAS,
        help_text="Only chooses the page the dashboard opens first (tiers or products): every project can "
                  "sell subscriptions and products, and the API serves both.",
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        default=100, help_text="Requests per minute allowed for each end user."
    )
    key_rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests per minute allowed for each API key, all end users together; "
                                         "empty for no limit."
    )
    # Browser origins allowed to call the publishable-key endpoints (CORS).
    allowed_origins = models.JSONField(default=list, blank=True)
    # Where Stripe Checkout sends end users back when the API call names no URL.
    checkout_success_url = models.URLField(blank=True)
    checkout_cancel_url = models.URLField(blank=True)
    # POST /api/data with the secret key and an unknown external id in X-User-Id creates that end
    # user on the default tier (as the original service did). New projects: on. Projects created
    # before the setting existed keep answering 404 until their developer turns it on.
    auto_create_end_users = models.BooleanField(
        default=True, help_text="Create an end user the first time the secret key tracks usage for an unknown "
                                "external id."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"


class ApiKey(models.Model):
    """One publishable or secret key of a project in one mode.

    Secret keys are stored only as a SHA-256 digest and a short display prefix; the
    publishable key is not a secret and is kept in clear so the dashboard can show it.
    At most one active key exists per (project, mode, kind).
    """

    class Kind(models.TextChoices):
        PUBLISHABLE = "pk", "Publishable"
        SECRET = "sk", "Secret"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="api_keys")
    mode = models.CharField(max_length=4, choices=Mode.choices)
    kind = models.CharField(max_length=2, choices=Kind.choices)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=20, editable=False, help_text="First characters, for display.")
    publishable_key = models.CharField(max_length=80, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "mode", "kind"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_key_per_project_mode_kind",
            )
        ]
        indexes = [models.Index(fields=["project", "mode", "kind"])]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.project.public_id})"

    @property
    def display(self) -> str:
        return self.publishable_key or f"{self.prefix}…"


class EndUser(models.Model):
    """An end user of a developer's app, in one project and one mode."""

    public_id = models.CharField(max_length=40, unique=True, default=_end_user_id, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="end_users")
    mode = models.CharField(max_length=4, choices=Mode.choices)
    # Blank only for end users created from an external id by POST /api/data.
    email = models.EmailField(max_length=254, blank=True)
    external_id = models.CharField(max_length=EXTERNAL_ID_MAX_LENGTH, null=True, blank=True,
                                   validators=[external_id_validator])
    password = models.CharField(max_length=128, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    tier = models.ForeignKey("billing.Tier", on_delete=models.PROTECT, related_name="end_users")
    metadata = models.JSONField(default=dict, blank=True)
    email_verified = models.BooleanField(default=False)
    # The usage period of a paid plan ([start, end) of the subscription's billing period).
    # Null, or a period that is over, means the calendar month (UTC).
    billing_period_start = models.DateTimeField(null=True, blank=True)
    billing_period_end = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "project", "mode", Lower("email"), condition=~Q(email=""),
                name="end_user_email_unique_per_project_mode",
            ),
            # Also the conflict target of the conditional insert that creates an end user from
            # an external id (tenants.services.end_user_ensure_external).
            models.UniqueConstraint(
                fields=["project", "mode", "external_id"], condition=Q(external_id__isnull=False),
                name="end_user_external_id_unique_per_project_mode",
            ),
        ]
        indexes = [models.Index(fields=["project", "mode", "created_at"])]

    def __str__(self) -> str:
        return f"{self.email} ({self.public_id})"

    @property
    def has_usable_password(self) -> bool:
        return bool(self.password) and not self.password.startswith("!")


class AuditEvent(models.Model):
    """Who changed what in a project, and when: written by the services in the same
    transaction as the change, so a change and its record stand or fall together.

    The actor's label and the project's id are copied, so the record still says who and where
    after the user, the key or the project is gone.
    """

    class ActorKind(models.TextChoices):
        DEVELOPER = "developer", "Developer"
        OPERATOR = "operator", "Operator"
        API_KEY = "api_key", "API key"
        SYSTEM = "system", "System"

    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events")
    project_public_id = models.CharField(max_length=32, db_index=True)
    mode = models.CharField(max_length=4, choices=Mode.choices, blank=True, help_text="Empty: both modes.")
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    actor_api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64, help_text="e.g. tier.update, key.rotate, usage.reset")
    target = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder,
                               help_text="{field: [before, after]}, or what was done.")
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.target} by {self.actor_label or self.actor_kind}"
