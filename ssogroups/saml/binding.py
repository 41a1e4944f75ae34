"""Bind each SP-initiated sign-in to the browser that started it (login CSRF defence).

Without this, a response to an AuthnRequest that an *attacker's* browser started, posted from the
victim's browser, signs the victim in as the attacker. The login view gives the browser a random
secret in a short-lived cookie and stores only its SHA-256 on the pending request; the ACS accepts
a solicited response only from a browser presenting that secret.

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

from django.http import HttpRequest, HttpResponse

AUTHN_COOKIE = "sparksso_authn"
# Only the SAML endpoints need it: it is not sent to any other page of the app.
AUTHN_COOKIE_PATH = "/api/v1/users/saml/"
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


def browser_secret_hash(secret: str) -> str:
    """What the pending request stores: the secret itself never rests in the database."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def browser_secret_for(request: HttpRequest) -> str:
    """The browser's current secret if it has a well-formed one (several tabs share it), else a new one."""
    current = request.COOKIES.get(AUTHN_COOKIE, "")
    return current if _SECRET_RE.match(current) else secrets.token_urlsafe(32)


def browser_matches(*, request: HttpRequest, expected_hash: str) -> bool:
    """True only when the posting browser presents the secret of the browser that started the request.

    Security-critical: a missing, malformed or different cookie is a mismatch; compared in constant time.
    """
    presented = request.COOKIES.get(AUTHN_COOKIE, "")
    if not expected_hash or not _SECRET_RE.match(presented):
        return False
    return hmac.compare_digest(browser_secret_hash(presented), expected_hash)


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


def browser_cookie_set(response: HttpResponse, *, secret: str, base_url: str, max_age: int) -> None:
    """Give the browser its sign-in secret for ``max_age`` seconds (the pending request's lifetime)."""
    response.set_cookie(
        AUTHN_COOKIE,
        secret,
        max_age=max_age,
        path=AUTHN_COOKIE_PATH,
        httponly=True,
        **cookie_attributes(base_url),
    )
