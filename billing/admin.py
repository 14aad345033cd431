from django.contrib import admin, messages
from djstripe import models as djstripe_models
from djstripe.admin.admin import InvoiceAdmin as DjStripeInvoiceAdmin

from .models import BillingCustomer, PlatformPlan, StripeConnection, StripeEvent, Subscription, Tier, TierPrice
from .services import stripe_event_replay


class TierPriceInline(admin.TabularInline):
    model = TierPrice
    fields = ["stripe_price_id", "amount_cents", "currency", "interval", "active", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "project", "mode", "price_cents", "currency", "monthly_limit", "is_default"]
    list_filter = ["mode", "is_default"]
    search_fields = ["slug", "name", "project__public_id", "project__name", "stripe_price_id"]
    list_select_related = ["project"]
    raw_id_fields = ["project"]
    readonly_fields = ["stripe_product_id", "stripe_price_id", "created_at", "updated_at"]
    inlines = [TierPriceInline]


@admin.register(StripeConnection)
class StripeConnectionAdmin(admin.ModelAdmin):
    list_display = ["account_id", "project", "mode", "connected_at", "disconnected_at", "charges_enabled"]
    list_filter = ["mode", ("disconnected_at", admin.EmptyFieldListFilter),
                   ("deauthorized_at", admin.EmptyFieldListFilter), "charges_enabled"]
    search_fields = ["account_id", "project__public_id", "project__name"]
    list_select_related = ["project"]
    readonly_fields = [f.name for f in StripeConnection._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["stripe_subscription_id", "end_user", "tier", "status", "current_period_end",
                    "cancel_at_period_end", "scheduled_tier", "trial_end"]
    list_filter = ["status", "cancel_at_period_end"]
    search_fields = ["stripe_subscription_id", "stripe_customer_id", "end_user__email", "end_user__public_id",
                     "account_id"]
    list_select_related = ["end_user", "tier", "scheduled_tier"]
    readonly_fields = [f.name for f in Subscription._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(PlatformPlan)
class PlatformPlanAdmin(admin.ModelAdmin):
    """Developers' dream-api plans as derived from dj-stripe (support: who is in a trial or a grace period)."""

    list_display = ["platform", "status", "trial_end", "current_period_end", "grace_ends_at", "trial_used"]
    list_filter = ["status", "trial_used", ("grace_ends_at", admin.EmptyFieldListFilter)]
    search_fields = ["platform__public_id", "platform__owner__email", "stripe_subscription_id"]
    list_select_related = ["platform__owner"]
    readonly_fields = [f.name for f in PlatformPlan._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(BillingCustomer)
class BillingCustomerAdmin(admin.ModelAdmin):
    list_display = ["stripe_customer_id", "end_user", "account_id", "created_at", "deleted_at"]
    search_fields = ["stripe_customer_id", "end_user__email", "account_id"]
    list_select_related = ["end_user"]
    readonly_fields = ["end_user", "account_id", "stripe_customer_id", "created_at", "deleted_at"]


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    """Support view of Connect events: failed ones show their error and can be replayed."""

    list_display = ["stripe_event_id", "type", "status", "attempts", "project", "account_id", "received_at",
                    "claimed_at"]
    list_filter = ["status", "type", "livemode"]
    search_fields = ["stripe_event_id", "account_id", "project__public_id"]
    list_select_related = ["project"]
    readonly_fields = [f.name for f in StripeEvent._meta.fields]
    actions = ["replay"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Replay the selected failed or ignored events")
    def replay(self, request, queryset):
        replayed = sum(stripe_event_replay(event=event) for event in queryset)
        self.message_user(request, f"Queued {replayed} event(s) again; events in other states were left alone.",
                          messages.SUCCESS)


# dj-stripe 2.11 reads ``Invoice.paid``, which Stripe removed in API version 2025-03-31: for an invoice
# synced under the pinned version, its invoice list (a column) and change page (a read-only field)
# raise KeyError. The platform plan's invoices are shown without it; ``status`` says whether one is paid.
_REMOVED_INVOICE_FIELDS = {"paid"}


class PlatformInvoiceAdmin(DjStripeInvoiceAdmin):
    list_display = tuple(f for f in DjStripeInvoiceAdmin.list_display if f not in _REMOVED_INVOICE_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if f not in _REMOVED_INVOICE_FIELDS]


admin.site.unregister(djstripe_models.Invoice)
admin.site.register(djstripe_models.Invoice, PlatformInvoiceAdmin)
