"""Mounted at /api/v1/users/saml/<int:account_id>/<slug:group_slug>/ (sparksso/urls.py)."""

from django.urls import path

from ssogroups.saml import views

urlpatterns = [
    path("login", views.login_view, name="saml_login"),
    path("consume", views.consume_view, name="saml_consume"),
    # "metadata" (SP metadata, also the SP entity ID) is added here by the SSO-group admin feature.
]
