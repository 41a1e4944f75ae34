"""Account settings pages under /account/settings/ (Single Sign-On: SCIM tokens)."""

from django.urls import path

from scim import settings_views

urlpatterns = [
    path("", settings_views.settings_view, name="settings"),
    path("scim-tokens/", settings_views.scim_token_generate_view, name="scim_token_generate"),
    path("scim-tokens/<int:token_id>/revoke", settings_views.scim_token_revoke_view, name="scim_token_revoke"),
]
