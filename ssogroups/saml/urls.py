"""Mounted at /api/v1/users/saml/<int:account_id>/<slug:slug>/ (sparksso/urls.py)."""

from django.urls import path

from ssogroups.saml import logout_views, views
from ssogroups.views import sp_metadata_view

urlpatterns = [
    path("login", views.login_view, name="saml_login"),
    path("consume", views.consume_view, name="saml_consume"),
    # Single Logout (HTTP-Redirect and HTTP-POST), published in the SP metadata.
    path("slo", logout_views.slo_view, name="saml_slo"),
    # The SP metadata URL is also the SP entity ID (Audience URI).
    path("metadata", sp_metadata_view, name="saml-metadata"),
]
