"""URL patterns (filled in by the feature that owns them)."""

from django.urls import path

from ssogroups.views import sp_metadata_view

urlpatterns: list = [
    path("metadata", sp_metadata_view, name="saml-metadata"),
]
