"""Where a post-sign-in redirect may go: only paths on our own origin."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_path(value: str | None, default: str = "/") -> str:
    """Return ``value`` if it is a same-origin relative path (``/x``), else ``default``.

    ``//evil.example``, ``https://evil.example``, ``/\\evil.example`` and anything with a
    scheme or host are refused: an open redirect after sign-in is a phishing tool.
    """
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ch in value for ch in "\r\n\t\\"):
        return default
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=set(), require_https=False):
        return default
    return value
