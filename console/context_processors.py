"""The top navigation for base.html. The site frame belongs to the lowest layer (sparksso renders
pages with it), so the links it shows come from here, the one layer that knows every page."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str


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
