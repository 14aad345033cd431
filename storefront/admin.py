from django.contrib import admin, messages

from .models import Asset, Order, OrderLine, Product, Reservation, ReservationLine
from .services import reservation_release, reservations_sweep


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "project", "mode", "price_cents", "currency", "inventory", "reserved",
                    "sold", "active"]
    list_filter = ["mode", "active", "restock_on_refund"]
    search_fields = ["public_id", "name", "display_name", "project__public_id", "project__name", "stripe_price_id",
                     "stripe_product_id"]
    list_select_related = ["project"]
    raw_id_fields = ["project", "image"]
    # Counters move only through the store's conditional updates; Stripe ids only through the sync.
    readonly_fields = ["public_id", "inventory", "reserved", "sold", "stripe_account_id", "stripe_product_id",
                       "stripe_price_id", "price_version", "created_at", "updated_at"]


class _ReadOnlyInline(admin.TabularInline):
    """Lines are written by the store's services only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class ReservationLineInline(_ReadOnlyInline):
    model = ReservationLine
    fields = ["product", "quantity", "unit_amount", "currency", "stripe_price_id"]


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = ["public_id", "project", "mode", "status", "release_reason", "expires_at", "created_at"]
    list_filter = ["status", "mode", "release_reason"]
    search_fields = ["public_id", "stripe_session_id", "email", "project__public_id"]
    list_select_related = ["project"]
    readonly_fields = [f.name for f in Reservation._meta.fields]
    inlines = [ReservationLineInline]
    actions = ["release", "sweep"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Release the held stock (the checkout will not be paid)")
    def release(self, request, queryset):
        released = sum(reservation_release(reservation_id=r.pk, reason="operator") for r in queryset)
        messages.info(request, f"{released} reservation(s) released.")

    @admin.action(description="Run the sweep now (asks Stripe about every overdue checkout)")
    def sweep(self, request, queryset):
        messages.info(request, f"Sweep: {reservations_sweep()}")


class OrderLineInline(_ReadOnlyInline):
    model = OrderLine
    fields = ["product", "product_name", "quantity", "unit_amount", "amount_total", "stripe_price_id"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["public_id", "project", "mode", "email", "amount_total", "currency", "status", "paid_at"]
    list_filter = ["status", "mode", "stock_shortfall"]
    search_fields = ["public_id", "email", "name", "payment_intent_id", "stripe_session_id", "project__public_id"]
    list_select_related = ["project"]
    date_hierarchy = "paid_at"
    readonly_fields = [f.name for f in Order._meta.fields]
    inlines = [OrderLineInline]

    def has_add_permission(self, request):
        return False


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["key", "project", "mode", "content_type", "size", "width", "height", "created_at"]
    search_fields = ["key", "project__public_id"]
    list_select_related = ["project"]
    readonly_fields = [f.name for f in Asset._meta.fields]

    def has_add_permission(self, request):
        return False
