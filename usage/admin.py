from django.contrib import admin

from .models import UsageCounter


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
