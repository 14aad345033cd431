from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from tenants.models import Mode

tier_slug_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]{0,39}$",
    "Use 1–40 lowercase letters, digits, '-' or '_', starting with a letter or digit.",
)


class Tier(models.Model):
    """A plan a project sells to its end users, in one mode.

    ``monthly_limit`` is the number of tracked calls per usage period; null means unlimited.
    Money is integer minor units plus an ISO currency code.
    """

    class Interval(models.TextChoices):
        MONTH = "month", "Monthly"
        YEAR = "year", "Yearly"

    project = models.ForeignKey("tenants.Project", on_delete=models.CASCADE, related_name="tiers")
    mode = models.CharField(max_length=4, choices=Mode.choices)
    slug = models.CharField(max_length=40, validators=[tier_slug_validator])
    name = models.CharField(max_length=80)
    price_cents = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    interval = models.CharField(max_length=5, choices=Interval.choices, default=Interval.MONTH)
    monthly_limit = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(0)])
    features = models.JSONField(default=list, blank=True)
    popular = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)
    is_default = models.BooleanField(default=False, help_text="New end users start on this tier.")
    # Days of free trial a first subscription to this tier starts with (0 = none; Stripe allows up to 730).
    trial_days = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(730)])
    # False: the trial starts without a card (Checkout's payment_method_collection=if_required); if none is
    # added by its end, Stripe cancels the subscription and the end user returns to the default tier.
    trial_requires_card = models.BooleanField(default=True)
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_price_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "price_cents", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "mode", "slug"], name="tier_slug_unique_per_project_mode"),
            models.UniqueConstraint(
                fields=["project", "mode"], condition=Q(is_default=True), name="one_default_tier_per_project_mode"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slug} ({self.mode})"

    @property
    def is_free(self) -> bool:
        return self.price_cents == 0


class TierPrice(models.Model):
    """Every Stripe Price a tier has had. Prices are immutable in Stripe: a price change
    creates a new one and archives the old, but subscriptions on the old price still map
    back to their tier through this table."""

    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="prices")
    stripe_price_id = models.CharField(max_length=255, unique=True)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=5)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.stripe_price_id


class StripeConnection(models.Model):
    """A developer's Stripe account connected to a project for one mode (Connect, Standard)."""

    project = models.ForeignKey("tenants.Project", on_delete=models.CASCADE, related_name="stripe_connections")
    mode = models.CharField(max_length=4, choices=Mode.choices)
    account_id = models.CharField(max_length=255)
    scope = models.CharField(max_length=50, blank=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    # Set when the account's owner revoked our access on Stripe's side (account.application.deauthorized).
    deauthorized_at = models.DateTimeField(null=True, blank=True)
    # The account as Stripe last described it (after OAuth, then on account.updated); null = not read yet.
    charges_enabled = models.BooleanField(null=True, blank=True)
    details_submitted = models.BooleanField(null=True, blank=True)
    account_checked_at = models.DateTimeField(null=True, blank=True)
    # The customer portal configuration we maintain on the account for this mode (billing_portal/configurations).
    portal_configuration_id = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "mode"], condition=Q(disconnected_at__isnull=True),
                name="one_active_stripe_connection_per_project_mode",
            ),
            # Webhooks are routed by account: one account serves one project and mode at a time.
            models.UniqueConstraint(
                fields=["account_id", "mode"], condition=Q(disconnected_at__isnull=True),
                name="stripe_account_connected_once_per_mode",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} ({self.mode})"

    @property
    def onboarding_incomplete(self) -> bool:
        """Stripe said the account can't take payments yet (None = we haven't read the account)."""
        return self.charges_enabled is False or self.details_submitted is False


class BillingCustomer(models.Model):
    """The Stripe Customer of an end user on a connected account (created once, reused).

    ``deleted_at`` is set when Stripe says the customer was deleted (``customer.deleted``, or a call
    naming it answers "no such customer"); the next checkout creates a new customer in its place.
    """

    end_user = models.ForeignKey("tenants.EndUser", on_delete=models.CASCADE, related_name="billing_customers")
    account_id = models.CharField(max_length=255)
    stripe_customer_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["end_user", "account_id"], name="one_billing_customer_per_account"),
            models.UniqueConstraint(fields=["account_id", "stripe_customer_id"], name="stripe_customer_unique"),
        ]

    def __str__(self) -> str:
        return self.stripe_customer_id


class Subscription(models.Model):
    """Our copy of an end user's Stripe subscription, as last read from Stripe."""

    ACTIVE_STATUSES = ("active", "trialing", "past_due")

    end_user = models.ForeignKey("tenants.EndUser", on_delete=models.CASCADE, related_name="subscriptions")
    account_id = models.CharField(max_length=255)
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    stripe_customer_id = models.CharField(max_length=255)
    stripe_price_id = models.CharField(max_length=255, blank=True)
    tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions")
    status = models.CharField(max_length=32)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    trial_start = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    # A plan change that waits for the period's end: a downgrade (the subscription schedule's next phase)
    # or, when it cancels at period end, the project's default tier.
    stripe_schedule_id = models.CharField(max_length=255, blank=True)
    scheduled_tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    scheduled_change_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "current_period_end"])]

    def __str__(self) -> str:
        return f"{self.stripe_subscription_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class StripeEvent(models.Model):
    """A Stripe event received on the Connect webhook, stored once by its Stripe id.

    Processing happens in a Celery task; the status says where it is. A failed event keeps
    its error and can be replayed from the admin or the dashboard.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    stripe_event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    account_id = models.CharField(max_length=255, blank=True)
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    project = models.ForeignKey("tenants.Project", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="stripe_events")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    note = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    # When a worker last claimed it: a ``processing`` event claimed long ago belongs to a dead worker.
    claimed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "received_at"]), models.Index(fields=["project", "received_at"])]

    def __str__(self) -> str:
        return f"{self.stripe_event_id} {self.type} ({self.status})"


class PlatformPlan(models.Model):
    """A developer's dream-api plan as last read from dj-stripe's copy of their subscription on the
    platform account, and what it means for their live keys (``Platform.paid_plan_active``):

    - trialing or active: live keys work;
    - a failed payment (past due, unpaid, paused) or an ended subscription (canceled, including a
      trial that ended without a card): live keys keep working for a grace period
      (``grace_ends_at``), then stop;
    - never subscribed: test keys only.
    """

    platform = models.OneToOneField("tenants.Platform", on_delete=models.CASCADE, related_name="plan")
    status = models.CharField(max_length=32, default="none")
    stripe_subscription_id = models.CharField(max_length=255, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    # When the payment failed or the plan ended (first seen), and when live keys stop unless it is paid.
    grace_started_at = models.DateTimeField(null=True, blank=True)
    grace_ends_at = models.DateTimeField(null=True, blank=True)
    trial_used = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["grace_ends_at"])]

    def __str__(self) -> str:
        return f"{self.platform_id}: {self.status}"
