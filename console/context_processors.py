"""The top navigation for base.html. The site frame belongs to the lowest layer (sparksso renders
pages with it), so the links it shows come from here, the one layer that knows every page."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool = False


def navigation(request: HttpRequest) -> dict:
    """``nav_links`` (the dashboard, and an admin's pages) and ``nav_logout`` for a signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    names = [("Dashboard", "dashboard")]
    if user.is_admin:
        names += [("Users", "account-users"), ("SSO", "ssogroup-list"), ("Settings", "settings")]
        names += [("Events", "account-events"), ("Setup links", "setup-links")]
    return {"nav_links": [NavLink(label, reverse(name)) for label, name in names], "nav_logout": reverse("logout")}


# A group's pages and the tab each belongs to; the tabs span layers (ssogroups, its SAML sign-in, SCIM),
# so they are named here, where every layer's URLs are known, and shown by ssogroups/tabs.html.
GROUP_TABS = (
    ("Overview", "ssogroup-detail", ("ssogroup-detail",)),
    ("Sign-in diagnostics", "saml_failures", ("saml_failures", "saml_trace", "saml_test_report")),
    ("SCIM requests", "scim_requests", ("scim_requests", "scim_request")),
)


def group_tabs(request: HttpRequest) -> dict:
    """``group_tabs`` on an SSO group's pages: (label, url, current) for each of the group's tabs."""
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("slug") if match is not None else None
    if slug is None or not any(match.url_name in names for _, _, names in GROUP_TABS):
        return {}
    return {
        "group_tabs": [
            NavLink(label, reverse(name, kwargs={"slug": slug}), match.url_name in names)
            for label, name, names in GROUP_TABS
        ]
    }
