from django.db import models


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
