from django.core.validators import RegexValidator
from django.db import models

# A feature's key, as sent in ``{"feature": …}`` and shown in tokens and GET /api/tiers.
FEATURE_KEY_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"
# The default meter: the tier's ``monthly_limit``, counted in ``UsageCounter``.
DEFAULT_METER = "api_calls"
# The most one call may count at once.
MAX_AMOUNT = 1_000_000


class UsageCounter(models.Model):
    """Tracked calls of one end user in one usage period ``[period_start, period_end)``.

    ``count`` is only ever raised by the single conditional upsert in
    ``usage.services.usage_track`` (the hot path). ``rolled`` is how much of ``count`` the
    daily history (``UsageDay``) already holds: the history fold moves ``count - rolled`` into
    it and sets ``rolled = count``, so the hot path never writes history itself.
    """

    end_user = models.ForeignKey("tenants.EndUser", on_delete=models.CASCADE, related_name="usage_counters")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    # The tier limit in force at the last counted call (null: unlimited). Kept on the row so
    # the upsert can compare against it without a second lookup.
    call_limit = models.PositiveIntegerField(null=True, blank=True)
    # A database default: the hot path's INSERT names its columns and leaves this one out.
    rolled = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["end_user", "period_start"], name="one_counter_per_user_period")
        ]
        # The fold looks only at counters of recent periods. Neither ``count`` nor ``rolled``
        # is indexed, so the hot path's increments stay HOT updates.
        indexes = [models.Index(fields=["period_end"], name="usage_counter_period_end")]

    def __str__(self) -> str:
        return f"{self.end_user_id} {self.period_start:%Y-%m-%d}: {self.count}"


class UsageDay(models.Model):
    """Tracked calls of one end user on one UTC day: the daily history behind the charts.

    Written only by the fold (``usage.services.usage_history_fold``), which runs every few
    minutes, so a day's figure is exact up to that interval. Deleting an end user keeps
    their history in the project's totals.
    """

    end_user = models.ForeignKey("tenants.EndUser", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="usage_days")
    project = models.ForeignKey("tenants.Project", on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=4)
    day = models.DateField()
    calls = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["end_user", "day"], name="one_usage_day_per_user")]
        indexes = [models.Index(fields=["project", "mode", "day"], name="usage_day_project_mode_day")]

    def __str__(self) -> str:
        return f"{self.end_user_id} {self.day}: {self.calls}"


# --- metering v2: features, per-feature counters, entitlement versions, idempotent calls ------

feature_key_validator = RegexValidator(
    FEATURE_KEY_PATTERN,
    "Use 1–40 lowercase letters, digits, '_' or '-', starting with a letter.",
)


class TierFeature(models.Model):
    """A feature a tier grants besides its default meter.

    The default meter (``api_calls``) is the tier's own ``monthly_limit``: it is not copied
    here, so the hot path keeps reading the one column it always read. A *metered* feature
    has its own limit per usage period (null: unlimited); a *boolean* one is on or off. A key
    means the same kind in every tier of a project and mode (checked when features are saved).
    """

    class Kind(models.TextChoices):
        METERED = "metered", "Metered (a limit per period)"
        BOOLEAN = "boolean", "On/off"

    tier = models.ForeignKey("billing.Tier", on_delete=models.CASCADE, related_name="tier_features")
    key = models.CharField(max_length=40, validators=[feature_key_validator])
    kind = models.CharField(max_length=8, choices=Kind.choices)
    period_limit = models.PositiveIntegerField(null=True, blank=True,
                                               help_text="Metered: uses per usage period; empty for unlimited.")
    enabled = models.BooleanField(default=True, help_text="Boolean: whether the tier has the feature.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "key"], name="one_feature_key_per_tier"),
            models.CheckConstraint(condition=models.Q(kind__in=["metered", "boolean"]), name="tier_feature_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.tier_id} {self.key}"


class FeatureCounter(models.Model):
    """Uses of one metered feature (not the default meter) by one end user in one usage period.

    Only ever changed by the single conditional upsert in ``usage.services``, like ``UsageCounter``.
    """

    end_user = models.ForeignKey("tenants.EndUser", on_delete=models.CASCADE, related_name="feature_counters")
    feature = models.CharField(max_length=40)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    call_limit = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["end_user", "feature", "period_start"],
                                    name="one_feature_counter_per_user_period")
        ]

    def __str__(self) -> str:
        return f"{self.end_user_id} {self.feature} {self.period_start:%Y-%m-%d}: {self.count}"


class EntitlementVersion(models.Model):
    """How many times an end user's entitlements (plan and features) have changed: the
    ``ent_ver`` claim of their token. No row means version 1. Bumped with one upsert."""

    end_user = models.OneToOneField("tenants.EndUser", on_delete=models.CASCADE, primary_key=True,
                                    related_name="entitlement_version")
    version = models.PositiveIntegerField(default=1)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.end_user_id} v{self.version}"


class TrackedCall(models.Model):
    """The first answer of ``POST /api/data`` for an ``Idempotency-Key`` of one end user.

    Claimed before counting (the unique constraint makes concurrent retries wait for the
    first call and then read its answer), filled in by the same transaction, kept for
    ``IDEMPOTENCY_KEY_TTL`` and then swept by a periodic task.
    """

    end_user = models.ForeignKey("tenants.EndUser", on_delete=models.CASCADE, related_name="tracked_calls")
    key = models.CharField(max_length=255)
    # What was asked: a retry must ask the same (feature '' is the default meter).
    feature = models.CharField(max_length=40, blank=True)
    amount = models.PositiveIntegerField()
    # The answer: 200 counted, 403 refused at the limit; with the usage it reported.
    status_code = models.PositiveSmallIntegerField(null=True)
    count = models.PositiveIntegerField(null=True)
    call_limit = models.PositiveIntegerField(null=True)
    period_start = models.DateTimeField(null=True)
    period_end = models.DateTimeField(null=True)
    plan = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["end_user", "key"], name="one_tracked_call_per_user_key")]

    def __str__(self) -> str:
        return f"{self.end_user_id} {self.key}: {self.status_code}"
