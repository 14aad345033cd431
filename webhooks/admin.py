from django.contrib import admin, messages

from .models import DeveloperEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .services import webhook_delivery_replay


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """The signing secret is never shown here (the developer sees it in the dashboard)."""

    list_display = ["public_id", "project", "mode", "url", "enabled", "created_at"]
    list_filter = ["mode", "enabled"]
    search_fields = ["public_id", "url", "project__public_id", "project__name"]
    list_select_related = ["project"]
    raw_id_fields = ["project"]
    exclude = ["secret_encrypted", "previous_secret_encrypted"]
    readonly_fields = ["public_id", "previous_secret_expires_at", "created_at", "updated_at"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "attempted_at", "status_code", "error", "duration_ms", "response_body"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["public_id", "endpoint", "event", "status", "attempts", "last_status_code", "next_attempt_at",
                    "created_at"]
    list_filter = ["status"]
    search_fields = ["public_id", "event__public_id", "endpoint__url", "endpoint__project__public_id"]
    list_select_related = ["endpoint", "event"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send again (a new delivery of the same event)")
    def replay(self, request, queryset):
        for delivery in queryset.select_related("event", "endpoint"):
            webhook_delivery_replay(delivery=delivery)
        messages.success(request, f"{queryset.count()} deliveries sent again.")


@admin.register(DeveloperEvent)
class DeveloperEventAdmin(admin.ModelAdmin):
    list_display = ["public_id", "project", "mode", "type", "created_at"]
    list_filter = ["type", "mode"]
    search_fields = ["public_id", "project__public_id", "dedupe_key"]
    list_select_related = ["project"]
    readonly_fields = [f.name for f in DeveloperEvent._meta.fields]

    def has_add_permission(self, request):
        return False
