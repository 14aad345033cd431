from django.db import models
from django.db.models import Q

from tenants.ids import public_id
from tenants.models import Mode


def _endpoint_id() -> str:
    return public_id("whe", 16)


def _event_id() -> str:
    return public_id("evt", 20)


def _delivery_id() -> str:
    return public_id("whd", 20)


def _default_thresholds() -> list[int]:
    return [80, 100]


class WebhookEndpoint(models.Model):
    """An HTTPS URL of a developer's that receives the project's events of one mode, signed
    with the endpoint's own secret."""

    public_id = models.CharField(max_length=40, unique=True, default=_endpoint_id, editable=False)
    project = models.ForeignKey("tenants.Project", on_delete=models.CASCADE, related_name="webhook_endpoints")
    mode = models.CharField(max_length=4, choices=Mode.choices)
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)
    # For usage.threshold_reached: percentages of the limit, 1–100.
    thresholds = models.JSONField(default=_default_thresholds)
    enabled = models.BooleanField(default=True)
    # Encrypted at rest (signup.crypto). After a rotation the previous secret keeps signing
    # beside the new one until previous_secret_expires_at.
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["project", "mode"])]

    def __str__(self) -> str:
        return f"{self.public_id} {self.url}"


class DeveloperEvent(models.Model):
    """Something that happened in a project, kept when at least one endpoint wanted it.

    ``dedupe_key`` makes an event happen once (e.g. a threshold once per period): a second
    emission with the same key is dropped by the unique constraint.
    """

    public_id = models.CharField(max_length=40, unique=True, default=_event_id, editable=False)
    project = models.ForeignKey("tenants.Project", on_delete=models.CASCADE, related_name="developer_events")
    mode = models.CharField(max_length=4, choices=Mode.choices)
    type = models.CharField(max_length=64)
    data = models.JSONField()
    dedupe_key = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "mode", "dedupe_key"], condition=Q(dedupe_key__isnull=False),
                                    name="developer_event_happens_once"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.type}"


class WebhookDelivery(models.Model):
    """One event to one endpoint: tried until it succeeds (a 2xx answer) or the retry schedule
    runs out (``failed``, shown in the dashboard). A replay is a new delivery of the same event."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    public_id = models.CharField(max_length=40, unique=True, default=_delivery_id, editable=False)
    event = models.ForeignKey(DeveloperEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the next attempt is due (pending only); also the lease of an attempt in progress.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"]), models.Index(fields=["endpoint", "created_at"])]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery and what came back (the body capped)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}: {self.status_code or self.error}"
