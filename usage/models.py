from django.db import models


class UsageCounter(models.Model):
    """Tracked calls of one end user in one usage period ``[period_start, period_end)``.

    Only ever changed by the single conditional upsert in ``usage.services.usage_track``.
    """

    end_user = models.ForeignKey("tenants.EndUser", on_delete=models.CASCADE, related_name="usage_counters")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    # The tier limit in force at the last counted call (null: unlimited). Kept on the row so
    # the upsert can compare against it without a second lookup.
    call_limit = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["end_user", "period_start"], name="one_counter_per_user_period")
        ]

    def __str__(self) -> str:
        return f"{self.end_user_id} {self.period_start:%Y-%m-%d}: {self.count}"
