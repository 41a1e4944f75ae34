"""Sign-in diagnostics pages under /account/sso/ (owned by the SAML sign-in feature)."""

from django.urls import path

from ssogroups import sign_in_trace_views
from ssogroups.saml import sign_in_test_views, views

urlpatterns = [
    path("<slug:slug>/failures", views.failures_view, name="saml_failures"),
    path("<slug:slug>/test-sign-in", sign_in_test_views.sign_in_test_start_view, name="saml_test_start"),
    path("<slug:slug>/test-sign-in/<str:key>", sign_in_test_views.sign_in_test_report_view, name="saml_test_report"),
    path("<slug:slug>/sign-in-traces/<str:key>", sign_in_trace_views.sign_in_trace_view, name="saml_trace"),
]
