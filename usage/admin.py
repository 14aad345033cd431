from django.contrib import admin

from .models import FeatureCounter, TierFeature, UsageCounter


@admin.register(UsageCounter)
class UsageCounterAdmin(admin.ModelAdmin):
    """Read-only: counters change only through the API's atomic upsert."""

    list_display = ["end_user", "period_start", "period_end", "count", "call_limit"]
    search_fields = ["end_user__public_id", "end_user__email"]
    list_select_related = ["end_user"]
    date_hierarchy = "period_start"
    readonly_fields = ["end_user", "period_start", "period_end", "count", "call_limit"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TierFeature)
class TierFeatureAdmin(admin.ModelAdmin):
    """Change features from the dashboard's tier form (it checks them and bumps entitlement versions)."""

    list_display = ["tier", "key", "kind", "period_limit", "enabled"]
    list_filter = ["kind"]
    search_fields = ["key", "tier__slug", "tier__project__public_id"]
    list_select_related = ["tier"]
    readonly_fields = ["tier", "key", "kind", "period_limit", "enabled", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False


@admin.register(FeatureCounter)
class FeatureCounterAdmin(UsageCounterAdmin):
    list_display = ["end_user", "feature", "period_start", "period_end", "count", "call_limit"]
    readonly_fields = ["end_user", "feature", "period_start", "period_end", "count", "call_limit"]
