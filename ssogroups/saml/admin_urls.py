"""Sign-in diagnostics pages under /account/sso/ (owned by the SAML sign-in feature)."""

from django.urls import path

from ssogroups.saml import views

urlpatterns = [
    path("<slug:group_slug>/failures", views.failures_view, name="saml_failures"),
]
