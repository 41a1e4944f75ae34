"""Mounted at /api/v1/users/scim/v2 (no trailing slash), so every pattern starts with '/'.

Written as ``[/]`` because Django's urls.W002 check warns on a leading '/' (it assumes the
include ends in one), and IdPs are configured with the base URL without a trailing slash.
"""

from django.urls import re_path

from scim import views

ID = r"(?P<scim_id>[^/]+)"
urlpatterns = [
    re_path(r"^[/]ServiceProviderConfigs?/?$", views.service_provider_config_view),
    re_path(r"^[/]ResourceTypes/?$", views.resource_types_view),
    re_path(r"^[/]ResourceTypes/(?P<item_id>[^/]+)/?$", views.resource_types_view),
    re_path(r"^[/]Schemas/?$", views.schemas_view),
    re_path(r"^[/]Schemas/(?P<item_id>[^/]+)/?$", views.schemas_view),
    re_path(r"^[/]Users/?$", views.users_view),
    re_path(r"^[/]Users/\.search/?$", views.users_search_view),
    re_path(rf"^[/]Users/{ID}/?$", views.user_view),
    re_path(r"^[/]Groups/?$", views.groups_view),
    re_path(r"^[/]Groups/\.search/?$", views.groups_search_view),
    re_path(rf"^[/]Groups/{ID}/?$", views.group_view),
    re_path(r"^[/]\.search/?$", views.root_search_view),
    # The base URL itself and anything else: a SCIM 404, never Django's HTML page.
    re_path(r"^(?P<rest>.*)$", views.not_found_view),
]
