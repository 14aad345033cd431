"""Support views: read-mostly, secrets never shown, actions call services."""

from django.contrib import admin, messages

from . import services, tokens
from .models import EndUserAuth, OidcIdentity, PendingSignup, SignInCode, SigningKey, SignupSettings, UnsentEmail
from .tasks import send_unsent_emails


@admin.register(SignupSettings)
class SignupSettingsAdmin(admin.ModelAdmin):
    list_display = ("project", "display_name", "oidc_issuer", "updated_at")
    list_select_related = ("project",)
    search_fields = ("project__public_id", "project__name", "display_name")
    # The client secret is stored encrypted and is not a model-editable field; it is set from the dashboard.
    readonly_fields = ("project", "created_at", "updated_at")
    actions = ["rotate_signing_key"]

    @admin.action(description="Rotate the signing key (old tokens stay valid until they expire)")
    def rotate_signing_key(self, request, queryset):
        for row in queryset.select_related("project"):
            tokens.signing_key_rotate(project=row.project)
        messages.success(request, f"Rotated {queryset.count()} signing key(s).")


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    list_display = ("kid", "project", "algorithm", "created_at", "retired_at", "verify_until")
    list_filter = ("algorithm",)
    list_select_related = ("project",)
    search_fields = ("kid", "project__public_id")
    fields = ("kid", "project", "algorithm", "public_jwk", "created_at", "retired_at", "verify_until")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SignInCode)
class SignInCodeAdmin(admin.ModelAdmin):
    list_display = ("end_user", "project", "mode", "method", "created_at", "expires_at", "used_at")
    list_filter = ("mode", "method")
    list_select_related = ("end_user", "project")
    search_fields = ("end_user__public_id", "end_user__email", "project__public_id")
    fields = ("end_user", "project", "mode", "method", "redirect_uri", "code_challenge", "created_at", "expires_at",
              "used_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EndUserAuth)
class EndUserAuthAdmin(admin.ModelAdmin):
    list_display = ("end_user", "token_version", "tokens_revoked_at", "last_sign_in_at")
    list_select_related = ("end_user",)
    search_fields = ("end_user__public_id", "end_user__email")
    readonly_fields = ("end_user", "token_version", "tokens_revoked_at", "last_sign_in_at")
    actions = ["revoke_tokens"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the end users' tokens (they must sign in again)")
    def revoke_tokens(self, request, queryset):
        for row in queryset.select_related("end_user"):
            services.end_user_tokens_revoke(end_user=row.end_user)
        messages.success(request, f"Revoked the tokens of {queryset.count()} end user(s).")


@admin.register(OidcIdentity)
class OidcIdentityAdmin(admin.ModelAdmin):
    list_display = ("end_user", "issuer", "subject", "mode", "created_at", "last_used_at")
    list_filter = ("mode", "issuer")
    list_select_related = ("end_user",)
    search_fields = ("end_user__public_id", "end_user__email", "subject")
    readonly_fields = ("end_user", "project", "mode", "issuer", "subject", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False


@admin.register(PendingSignup)
class PendingSignupAdmin(admin.ModelAdmin):
    """Sign-ups waiting for their e-mail link ("did my user get the e-mail?"). The password
    hash and the link token never appear."""

    list_display = ("email", "project", "mode", "created_at", "link_sent_at", "confirmed_at", "voided_at")
    list_filter = ("mode",)
    list_select_related = ("project",)
    search_fields = ("email", "project__public_id")
    fields = ("email", "project", "mode", "redirect_uri", "code_challenge", "created_at", "link_sent_at",
              "confirmed_at", "voided_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(UnsentEmail)
class UnsentEmailAdmin(admin.ModelAdmin):
    """E-mails to end users that could not be queued or delivered; retried every minute."""

    list_display = ("to", "subject", "reason", "created_at", "attempts", "last_attempt_at", "sent_at")
    list_filter = ("reason",)
    search_fields = ("to", "subject")
    fields = ("to", "subject", "reason", "created_at", "attempts", "last_attempt_at", "sent_at")
    readonly_fields = fields
    actions = ["send_now"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Try to send the unsent e-mails now")
    def send_now(self, request, queryset):
        result = send_unsent_emails()
        messages.info(request, f"Sent {result['sent']}, still failing {result['failed']}.")
