"""The console's pages (stable URLs: the README's "Stable URLs and commands"): the dashboard and
the session JSON, the users page and its actions, the event log and its export."""

from django.urls import path

from console import bind_views, events_views, setup_link_admin_views, setup_link_views, users_views, views

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("api/v1/session", views.session_view, name="session"),
    path("account/users/", users_views.users_view, name="account-users"),
    path("account/users/<int:user_id>/active", users_views.user_active_view, name="account-user-active"),
    path("account/users/<int:user_id>/bind", bind_views.user_bind_view, name="account-user-bind"),
    path("account/users/<int:user_id>/unbind", bind_views.user_unbind_view, name="account-user-unbind"),
    path("account/events/", events_views.events_view, name="account-events"),
    path("account/events/export.json", events_views.events_export_view, name="account-events-export"),
    # Setup links: the admin's pages, then the link holder's (console/setup_links.py).
    path("account/setup-links/", setup_link_admin_views.setup_links_view, name="setup-links"),
    path("account/setup-links/new", setup_link_admin_views.setup_link_create_view, name="setup-link-create"),
    path(
        "account/setup-links/<str:public_id>/", setup_link_admin_views.setup_link_detail_view, name="setup-link-detail"
    ),
    path(
        "account/setup-links/<str:public_id>/revoke",
        setup_link_admin_views.setup_link_revoke_view,
        name="setup-link-revoke",
    ),
    path("setup/open", setup_link_views.open_view, name="setup-link-open"),  # ?token=: kept out of the logs
    path("setup/<str:public_id>/", setup_link_views.group_view, name="setup-link-group"),
    path("setup/<str:public_id>/confirm", setup_link_views.confirm_view, name="setup-link-confirm"),
    path("setup/<str:public_id>/metadata", setup_link_views.metadata_view, name="setup-link-metadata"),
    path("setup/<str:public_id>/enable", setup_link_views.enable_view, name="setup-link-enable"),
    path("setup/<str:public_id>/test", setup_link_views.test_start_view, name="setup-link-test"),
    path("setup/<str:public_id>/test/<str:key>", setup_link_views.test_report_view, name="setup-link-test-report"),
    path("setup/<str:public_id>/scim-token", setup_link_views.scim_token_view, name="setup-link-scim-token"),
]
