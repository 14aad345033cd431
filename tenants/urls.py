from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/<str:project_id>/", views.project_detail, name="project"),
    path("projects/<str:project_id>/settings/", views.project_settings, name="project_settings"),
    path("projects/<str:project_id>/delete/", views.project_delete, name="project_delete"),
    path("projects/<str:project_id>/keys/regenerate/", views.key_regenerate, name="key_regenerate"),
    path("projects/<str:project_id>/keys/revoke/", views.key_revoke, name="key_revoke"),
    path("projects/<str:project_id>/tiers/new/", views.tier_edit, name="tier_new"),
    path("projects/<str:project_id>/tiers/<str:slug>/", views.tier_edit, name="tier_edit"),
    path("projects/<str:project_id>/tiers/<str:slug>/delete/", views.tier_delete, name="tier_delete"),
    path("projects/<str:project_id>/tiers/<str:slug>/default/", views.tier_make_default, name="tier_default"),
]
