"""Mounted at /api/v1/users/scim/v2 (no trailing slash), so every pattern starts with '/'.

Written as ``[/]`` because Django's urls.W002 check warns on a leading '/' (it assumes the
include ends in one), and IdPs are configured with the base URL without a trailing slash.
"""

from django.urls import re_path

from scim import views
from scim.resource_types import GROUP, USER, ResourceType

ID = r"(?P<scim_id>[^/]+)"


def _listing(name: str, view) -> list:
    """A discovery listing and its items: /Schemas and /Schemas/{id}."""
    return [re_path(rf"^[/]{name}/?$", view), re_path(rf"^[/]{name}/(?P<item_id>[^/]+)/?$", view)]


def _resources(resource_type: ResourceType) -> list:
    """A resource type's collection, its .search and its members: /Users, /Users/.search, /Users/{id}."""
    name, handlers = resource_type.endpoint.lstrip("/"), views.resource_views(resource_type)
    return [
        re_path(rf"^[/]{name}/?$", handlers.collection),
        re_path(rf"^[/]{name}/\.search/?$", handlers.search),
        re_path(rf"^[/]{name}/{ID}/?$", handlers.member),
    ]


urlpatterns = [
    re_path(r"^[/]ServiceProviderConfigs?/?$", views.service_provider_config_view),
    *_listing("ResourceTypes", views.resource_types_view),
    *_listing("Schemas", views.schemas_view),
    *_resources(USER),
    *_resources(GROUP),
    re_path(r"^[/]\.search/?$", views.root_search_view),
    # The base URL itself and anything else: a SCIM 404, never Django's HTML page.
    re_path(r"^(?P<rest>.*)$", views.not_found_view),
]
