"""Stable URLs (the README's "Stable URLs and commands"). Each feature owns its own URL module."""

from django.urls import include, path

from sparksso.favicon import favicon
from sparksso.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("", include("accounts.urls")),
    path("", include("console.urls")),
    path("account/settings/", include("scim.settings_urls")),
    path("account/sso/", include("ssogroups.urls")),
    path("account/sso/", include("ssogroups.saml.admin_urls")),
    path("api/v1/users/saml/<int:account_id>/<slug:slug>/", include("ssogroups.saml.urls")),
    path("api/v1/users/scim/v2", include("scim.urls")),
    path("account/", include("scim.request_log_urls")),  # the SCIM request log: a tab of each SSO group
]

# An outage raised outside a view (a middleware's session save or commit) is a 503, not a 500.
handler500 = "sparksso.outages.server_error"
