from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("plan/", views.platform_plan, name="platform_plan"),
    path("stripe/callback/", views.stripe_callback, name="stripe_callback"),
    path("projects/<str:project_id>/stripe/connect/", views.stripe_connect, name="stripe_connect"),
    path("projects/<str:project_id>/stripe/disconnect/", views.stripe_disconnect, name="stripe_disconnect"),
    path("projects/<str:project_id>/stripe/events/", views.stripe_events, name="events"),
    path("projects/<str:project_id>/stripe/events/<int:event_id>/replay/", views.stripe_event_replay,
         name="event_replay"),
    path("projects/<str:project_id>/promote/", views.promote, name="promote"),
]
