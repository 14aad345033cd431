from django.contrib import admin, messages
from django.db import models
from django.urls import reverse
from django.utils.html import format_html

from .audit import Actor
from .models import ApiKey, AuditEvent, EndUser, Platform, Project
from .services import api_key_revoke


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["public_id", "owner", "paid_plan_active", "created_at"]
    list_filter = ["paid_plan_active"]
    search_fields = ["public_id", "owner__email"]
    list_select_related = ["owner"]
    readonly_fields = ["public_id", "created_at"]
    raw_id_fields = ["owner"]


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    fields = ["mode", "kind", "display", "created_at", "revoked_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["public_id", "name", "kind", "platform", "rate_limit_per_minute", "created_at"]
    list_filter = ["kind"]
    search_fields = ["public_id", "name", "platform__public_id", "platform__owner__email"]
    list_select_related = ["platform__owner"]
    readonly_fields = ["public_id", "created_at", "audit_log"]
    raw_id_fields = ["platform"]
    inlines = [ApiKeyInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="Audit log")
    def audit_log(self, obj: Project) -> str:
        url = reverse("admin:tenants_auditevent_changelist")
        return format_html('<a href="{}?project__id__exact={}">{} recorded changes</a>', url, obj.pk,
                           obj.audit_events.count())


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are read-only here: only the digest and a short prefix exist, never the secret."""

    list_display = ["display", "kind", "mode", "project", "created_at", "revoked_at"]
    list_filter = ["kind", "mode", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "project__public_id", "project__name", "project__platform__owner__email"]
    list_select_related = ["project"]
    fields = ["project", "kind", "mode", "display", "created_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected keys (they stop working at once)")
    def revoke(self, request, queryset):
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key, actor=Actor.operator(request.user))
            count += 1
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)


@admin.register(EndUser)
class EndUserAdmin(admin.ModelAdmin):
    list_display = ["public_id", "email", "project", "mode", "tier", "email_verified", "created_at"]
    list_filter = ["mode", "email_verified"]
    search_fields = ["public_id", "email", "project__public_id"]
    list_select_related = ["project", "tier"]
    readonly_fields = ["public_id", "password", "created_at", "updated_at"]
    raw_id_fields = ["project", "tier"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only: records are written only by the services, with the change."""

    list_display = ["created_at", "project_public_id", "mode", "action", "target", "actor_kind", "actor_label"]
    list_filter = ["actor_kind", "mode", "action"]
    search_fields = ["project_public_id", "project__name", "target", "actor_label", "action"]
    list_select_related = ["project"]
    date_hierarchy = "created_at"
    fields = ["created_at", "project", "project_public_id", "mode", "action", "target", "changes", "reason",
              "actor_kind", "actor_label", "actor_user", "actor_api_key"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
