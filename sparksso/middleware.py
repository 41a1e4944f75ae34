"""HTTP-layer helpers every app shares: the request id, the client's address, response headers."""

import ipaddress
import uuid
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RequestIdMiddleware:
    """Give every request an id that events record and the response echoes (X-Request-ID)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


@lru_cache(maxsize=8)
def trusted_proxies_parse(value: str) -> int | tuple[IPNetwork, ...]:
    """TRUSTED_PROXIES as 0 (none), a number of proxy hops, or the proxies' networks (CIDRs).

    Raises ImproperlyConfigured with one line naming the bad part, so settings can refuse it.
    """
    value = value.strip()
    if not value:
        return 0
    if value.isdigit():
        return int(value)
    networks = []
    for part in value.split(","):
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES must be a number of proxy hops or comma-separated CIDRs; {part.strip()!r} is neither."
            ) from exc
    return tuple(networks)


def _address(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For read only as far as proxies are trusted.

    Security-critical: X-Forwarded-For is written by the client first and each proxy appends the
    address it saw, so only entries appended by trusted proxies (counted from the right) can be
    believed. Throttles and events rely on this address; a spoofed header must never choose it.
    """
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    trusted = trusted_proxies_parse(settings.TRUSTED_PROXIES)
    if remote is None:
        return None
    if not trusted:
        return str(remote)
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if isinstance(trusted, int):
        # N hops: the Nth address from the right was appended by the outermost of our proxies.
        if len(forwarded) < trusted:
            return str(remote)  # did not come through all our proxies: the header is the client's
        client = _address(forwarded[-trusted])
        return str(client) if client is not None else str(remote)
    if not any(remote in network for network in trusted):
        return str(remote)  # a direct connection: its X-Forwarded-For is whatever the client wrote
    client = remote
    for part in reversed(forwarded):
        address = _address(part)
        if address is None:
            break  # garbage cannot have come from a trusted proxy: stop at the last good address
        client = address
        if not any(address in network for network in trusted):
            break
    return str(client)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every admin page (/account/…, the dashboard) and every API
    response (/api/…: the session API, SCIM, the SAML endpoints).

    Why: admin pages show members, tokens and configuration, and /api/v1/session a user's email
    and role; a shared or back-button cache must not keep them after sign-out. A view's own
    header is kept when it already forbids storing (SCIM's ``no-store``, ``never_cache``).
    """

    PREFIXES = ("/account/",)
    EXACT = ("/",)
    API_PREFIX = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path in self.EXACT or request.path.startswith(self.PREFIXES):
            response["Cache-Control"] = "no-store, private"
        elif request.path.startswith(self.API_PREFIX) and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response


class ContentSecurityPolicyMiddleware:
    """The CONTENT_SECURITY_POLICY header on every response that does not set its own.

    Why: with no inline script or style anywhere (the POST-binding page and the copy buttons use
    static files), a policy without 'unsafe-inline' turns an injected ``<script>`` into nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
