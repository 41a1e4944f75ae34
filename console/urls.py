"""The console's pages (stable URLs: the README's "Stable URLs and commands"): the dashboard and
the session JSON, the users page and its actions, the event log and its export."""

from django.urls import path

from console import bind_views, events_views, users_views, views

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("api/v1/session", views.session_view, name="session"),
    path("account/users/", users_views.users_view, name="account-users"),
    path("account/users/<int:user_id>/active", users_views.user_active_view, name="account-user-active"),
    path("account/users/<int:user_id>/bind", bind_views.user_bind_view, name="account-user-bind"),
    path("account/users/<int:user_id>/unbind", bind_views.user_unbind_view, name="account-user-unbind"),
    path("account/events/", events_views.events_view, name="account-events"),
    path("account/events/export.json", events_views.events_export_view, name="account-events-export"),
]
