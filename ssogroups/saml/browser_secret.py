"""Bind each SP-initiated sign-in to the browser that started it (login CSRF defence).

Without this, a response to an AuthnRequest that an *attacker's* browser started, posted from the
victim's browser, signs the victim in as the attacker. The login view gives the browser a fresh
random secret per sign-in in a short-lived cookie and stores only its SHA-256 on the pending
request; the ACS accepts a solicited response only from a browser presenting that secret. On https
the cookie is ``__Host-`` prefixed, so a sibling subdomain cannot toss a value in.

The IdP's POST back to the ACS is a cross-site top-level POST, so the cookie must be
``SameSite=None``, which browsers accept only with ``Secure``. Chromium accepts ``Secure`` cookies
from http://localhost and loopback addresses (secure contexts), so development on those works too;
see cookie_attributes() for other plain-http hosts.
"""

import hashlib
import hmac
import ipaddress
import re
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

AUTHN_COOKIE = "sparksso_authn"
# On https the cookie is ``__Host-`` prefixed: the browser then refuses it from any other host (a
# sibling subdomain cannot toss one in), and only with Secure, Path=/ and no Domain.
HOST_AUTHN_COOKIE = f"__Host-{AUTHN_COOKIE}"
# Only the SAML endpoints need it: on plain http it is not sent to any other page of the app.
AUTHN_COOKIE_PATH = "/api/v1/users/saml/"
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
# Each sign-in start gets a fresh secret; the secrets of the browser's other pending sign-ins (tabs)
# ride along in the same cookie, newest first, separated by dots, at most this many.
MAX_SECRETS = 4


def authn_cookie_name(base_url: str | None = None) -> str:
    """``__Host-sparksso_authn`` when BASE_URL is https, else ``sparksso_authn``."""
    return HOST_AUTHN_COOKIE if urlsplit(base_url or settings.BASE_URL).scheme == "https" else AUTHN_COOKIE


def _presented(request: HttpRequest) -> list[str]:
    """The well-formed secrets the browser presents under the cookie name in force (others ignored)."""
    raw = request.COOKIES.get(authn_cookie_name(), "")
    return [s for s in raw.split(".")[:MAX_SECRETS] if _SECRET_RE.match(s)]


def browser_secrets_presented(request: HttpRequest) -> list[str]:
    """The secrets of this browser's own pending sign-ins (set by us: ``__Host-`` on https), newest first."""
    return _presented(request)


def browser_cookie_present(request: HttpRequest) -> bool:
    return bool(request.COOKIES.get(authn_cookie_name()))


def browser_secret_hash(secret: str) -> str:
    """What the pending request stores: the secret itself never rests in the database."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def browser_secret_for(request: HttpRequest) -> str:
    """A fresh secret for one sign-in start, never one the browser already holds.

    Security-critical: reusing the presented value let a cookie tossed into the victim's
    browser, and into the attacker's own, bind the attacker's request to the victim's browser."""
    return secrets.token_urlsafe(32)


def browser_matches(*, request: HttpRequest, expected_hash: str) -> bool:
    """True only when the posting browser presents the secret of the browser that started the request.

    Security-critical: a missing, malformed or different cookie is a mismatch; compared in constant time.
    """
    if not expected_hash:
        return False
    found = False
    for presented in _presented(request):  # every one compared: no early exit to time
        found |= hmac.compare_digest(browser_secret_hash(presented), expected_hash)
    return found


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cookie_attributes(base_url: str) -> dict:
    """``SameSite=None; Secure`` on https and on loopback http (a secure context in Chromium).

    On plain http to any other host a browser drops ``SameSite=None`` without ``Secure`` and drops
    ``Secure`` cookies, so the attribute is left out: Chromium then applies Lax-by-default, which
    still sends a cookie set in the last two minutes with a top-level cross-site POST. Production
    runs on https, where none of this applies.
    """
    parts = urlsplit(base_url)
    if parts.scheme == "https" or _loopback(parts.hostname or ""):
        return {"samesite": "None", "secure": True}
    return {"samesite": None, "secure": False}


def browser_cookie_set(
    response: HttpResponse, *, request: HttpRequest, secret: str, base_url: str, max_age: int
) -> None:
    """Give the browser ``secret`` for ``max_age`` seconds (the pending request's lifetime), keeping the
    secrets of its other pending sign-ins (tabs) after it."""
    others = [s for s in _presented(request) if s != secret][: MAX_SECRETS - 1]
    host_only = authn_cookie_name(base_url) == HOST_AUTHN_COOKIE
    response.set_cookie(
        authn_cookie_name(base_url),
        ".".join([secret, *others]),
        max_age=max_age,
        path="/" if host_only else AUTHN_COOKIE_PATH,  # __Host- requires Path=/
        httponly=True,
        **cookie_attributes(base_url),
    )
