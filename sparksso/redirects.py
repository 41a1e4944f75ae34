"""Where a post-sign-in redirect may go: only paths on our own origin."""

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(value: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an absolute http(s) URL without user info; None for anything else."""
    try:
        parts = urlsplit(value)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # a port that is not a number, or out of range
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def _own_path(value: str) -> str | None:
    """The path (with query and fragment) of an absolute URL on BASE_URL's origin; else None.

    IdPs (Okta's and Entra's "Default RelayState", SimpleSAMLphp's ``RelayState`` parameter) are often
    given a full URL of the app: ``https://<our host>/account/…`` lands there, any other origin does not.
    """
    own = _origin(settings.BASE_URL)
    if own is None or _origin(value) != own:
        return None
    parts = urlsplit(value)
    path = (
        (parts.path or "/")
        + (f"?{parts.query}" if parts.query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )
    return path


def safe_next_path(value: str | None, default: str = "/") -> str:
    """Return ``value`` if it is a same-origin relative path (``/x``), or the path of an absolute URL
    on BASE_URL's own origin; else ``default``.

    ``//evil.example``, ``https://evil.example``, ``/\\evil.example`` and anything with another
    scheme or host are refused: an open redirect after sign-in is a phishing tool.
    """
    if not value or any(ch in value for ch in "\r\n\t\\"):
        return default
    if not value.startswith("/"):
        value = _own_path(value) or ""
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=set(), require_https=False):
        return default
    return value
