"""Every developer page, under /dashboard/."""

from django.urls import path

from .views import audit, end_users, keys, plan, projects, signup, stripe, tiers, webhooks

app_name = "dashboard"

P = "projects/<str:project_id>/"

urlpatterns = [
    path("", projects.home, name="home"),
    path("plan/", plan.platform_plan, name="platform_plan"),
    path("stripe/callback/", stripe.stripe_callback, name="stripe_callback"),
    path(P, projects.project_detail, name="project"),
    path(f"{P}settings/", projects.project_settings, name="project_settings"),
    path(f"{P}delete/", projects.project_delete, name="project_delete"),
    path(f"{P}keys/regenerate/", keys.key_regenerate, name="key_regenerate"),
    path(f"{P}keys/revoke/", keys.key_revoke, name="key_revoke"),
    path(f"{P}tiers/new/", tiers.tier_edit, name="tier_new"),
    path(f"{P}tiers/<str:slug>/", tiers.tier_edit, name="tier_edit"),
    path(f"{P}tiers/<str:slug>/delete/", tiers.tier_delete, name="tier_delete"),
    path(f"{P}tiers/<str:slug>/default/", tiers.tier_make_default, name="tier_default"),
    path(f"{P}users/", end_users.end_user_list, name="end_users"),
    path(f"{P}users/export.csv", end_users.end_user_export, name="end_users_export"),
    path(f"{P}users/<str:public_id>/", end_users.end_user_detail, name="end_user"),
    path(f"{P}users/<str:public_id>/plan/", end_users.end_user_change_plan, name="end_user_plan"),
    path(f"{P}users/<str:public_id>/reset-usage/", end_users.end_user_reset_usage, name="end_user_reset_usage"),
    path(f"{P}users/<str:public_id>/revoke-tokens/", end_users.end_user_revoke_tokens, name="end_user_revoke_tokens"),
    path(f"{P}users/<str:public_id>/delete/", end_users.end_user_delete, name="end_user_delete"),
    path(f"{P}audit/", audit.audit_log, name="audit_log"),
    path(f"{P}stripe/connect/", stripe.stripe_connect, name="stripe_connect"),
    path(f"{P}stripe/disconnect/", stripe.stripe_disconnect, name="stripe_disconnect"),
    path(f"{P}stripe/events/", stripe.stripe_events, name="stripe_events"),
    path(f"{P}stripe/events/export.csv", stripe.stripe_events_export, name="stripe_events_export"),
    path(f"{P}stripe/events/<int:event_id>/replay/", stripe.stripe_event_replay, name="stripe_event_replay"),
    path(f"{P}promote/", stripe.promote, name="promote"),
    path(f"{P}signup/", signup.signup_settings, name="signup_settings"),
    path(f"{P}signup/rotate-key/", signup.signup_rotate_key, name="signup_rotate_key"),
    path(f"{P}webhooks/", webhooks.webhook_list, name="webhooks"),
    path(f"{P}webhooks/new/", webhooks.webhook_new, name="webhook_new"),
    path(f"{P}webhooks/<str:endpoint_id>/", webhooks.webhook_detail, name="webhook"),
    path(f"{P}webhooks/<str:endpoint_id>/edit/", webhooks.webhook_edit, name="webhook_edit"),
    path(f"{P}webhooks/<str:endpoint_id>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    path(f"{P}webhooks/<str:endpoint_id>/rotate/", webhooks.webhook_rotate, name="webhook_rotate"),
    path(f"{P}webhooks/<str:endpoint_id>/deliveries/<str:delivery_id>/", webhooks.webhook_delivery,
         name="webhook_delivery"),
    path(f"{P}webhooks/<str:endpoint_id>/deliveries/<str:delivery_id>/replay/", webhooks.webhook_delivery_replay,
         name="webhook_delivery_replay"),
]

# The store's pages (imported here, beside their routes, so this block only appends).
from .views import orders, products  # noqa: E402

urlpatterns += [
    path(f"{P}products/", products.product_list, name="products"),
    path(f"{P}products/new/", products.product_edit, name="product_new"),
    path(f"{P}products/<str:product_id>/", products.product_edit, name="product_edit"),
    path(f"{P}products/<str:product_id>/archive/", products.product_archive, name="product_archive"),
    path(f"{P}products/<str:product_id>/delete/", products.product_delete, name="product_delete"),
    path(f"{P}orders/", orders.order_list, name="orders"),
    path(f"{P}orders/export.csv", orders.order_export, name="orders_export"),
    path(f"{P}orders/<str:order_id>/", orders.order_detail, name="order"),
]
