from __future__ import annotations

from django.core.validators import MinValueValidator, RegexValidator
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
