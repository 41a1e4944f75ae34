from django.urls import path

from accounts import admin_views, events_views, reauth, views

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    path("api/v1/session", views.session_view, name="session"),
    path("account/reauth", reauth.reauth_view, name="reauth"),
    path("account/users/", admin_views.users_view, name="account-users"),
    path("account/users/<int:user_id>/active", admin_views.user_active_view, name="account-user-active"),
    path("account/events/", events_views.events_view, name="account-events"),
    path("account/events/export.json", events_views.events_export_view, name="account-events-export"),
]
