"""Fetch IdP metadata from a URL without becoming an SSRF proxy into our own network.

The host is resolved once, every address it resolves to is checked, and the connection goes to
that checked address (so a DNS answer cannot change between the check and the connect). Only
http(s), a timeout, a size cap, and a few redirects that are each checked the same way.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from ssogroups.metadata import MAX_METADATA_BYTES

TIMEOUT_SECONDS = 10
MAX_REDIRECTS = 3
MAX_URL_LENGTH = 2048  # SSOGroup.idp_metadata_url
USER_AGENT = "sparksso-metadata-fetch/1"

MSG_SCHEME = "The metadata URL must start with http:// or https://."
MSG_BAD_URL = "The metadata URL is not a valid URL."
MSG_CREDENTIALS = "The metadata URL must not contain a user name or password."
MSG_RESOLVE = "The host {host} of the metadata URL could not be resolved."
MSG_PRIVATE = (
    "The metadata URL points to a private, loopback or link-local address ({address}); "
    "only public addresses are fetched."
)
MSG_CONNECT = "The metadata URL could not be fetched: {detail}."
MSG_TIMEOUT = "The metadata URL did not answer within {seconds:g} seconds."
MSG_STATUS = "The metadata URL answered HTTP {status}; expected 200."
MSG_TOO_LARGE = "The metadata at the URL is larger than 1 MiB."
MSG_REDIRECTS = "The metadata URL redirected more than {count} times."
MSG_TLS = "The metadata URL's TLS certificate could not be verified: {detail}."


class MetadataFetchError(ValueError):
    """The URL could not (or must not) be fetched; ``message`` is meant for the admin."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def allow_private_urls() -> bool:
    """SSO_METADATA_ALLOW_PRIVATE_URLS: only for on-premises IdPs (and tests); off by default."""
    return settings.SSO_METADATA_ALLOW_PRIVATE_URLS


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64, IPv4-compatible)."""
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address.teredo is not None:
        found.extend(address.teredo)
    if any(address in net for net in _NAT64) or address in _IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local or not all(_is_public(v4) for v4 in _embedded_ipv4(address)):
            return False  # e.g. ::ffff:127.0.0.1 or 2002:7f00:1:: reach loopback too
    return address.is_global and not address.is_multicast


def resolve_checked(host: str, port: int) -> str:
    """The address to connect to, after checking every address ``host`` resolves to.

    It is *crucial* for SSRF safety that all addresses pass, not just the first: an attacker's DNS
    may return one public and one internal address.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise MetadataFetchError(MSG_RESOLVE.format(host=host)) from exc
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not allow_private_urls() and not _is_public(address):
            raise MetadataFetchError(MSG_PRIVATE.format(address=address))
        addresses.append(address)
    if not addresses:
        raise MetadataFetchError(MSG_RESOLVE.format(host=host))
    return str(addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # SNI and certificate verification use the URL's host name, not the pinned address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _split(url: str) -> tuple[str, str, int, str]:
    url = url.strip()
    if len(url) > MAX_URL_LENGTH or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise MetadataFetchError(MSG_BAD_URL)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise MetadataFetchError(MSG_BAD_URL) from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise MetadataFetchError(MSG_SCHEME)
    if not parts.hostname:
        raise MetadataFetchError(MSG_BAD_URL)
    try:
        host = parts.hostname.encode("idna").decode("ascii") if ":" not in parts.hostname else parts.hostname
    except UnicodeError as exc:
        raise MetadataFetchError(MSG_BAD_URL) from exc
    if parts.username is not None or parts.password is not None:
        raise MetadataFetchError(MSG_CREDENTIALS)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    scheme = parts.scheme.lower()
    return scheme, host, port or (443 if scheme == "https" else 80), path


def _get_once(url: str, timeout: float, max_bytes: int) -> tuple[int, str | None, bytes]:
    scheme, host, port, path = _split(url)
    address = resolve_checked(host, port)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address, timeout)
    try:
        connection.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "application/xml, text/xml, */*"})
        response = connection.getresponse()
        if response.status in (301, 302, 303, 307, 308):
            return response.status, response.getheader("Location"), b""
        if response.status != 200:
            return response.status, None, b""
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise MetadataFetchError(MSG_TOO_LARGE)
        # Read in chunks against one overall deadline, so a server dripping bytes cannot hold us.
        deadline = time.monotonic() + timeout
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read1(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise MetadataFetchError(MSG_TOO_LARGE)
            if time.monotonic() > deadline:
                raise TimeoutError
            chunks.append(chunk)
        return 200, None, b"".join(chunks)
    except ssl.SSLError as exc:
        raise MetadataFetchError(MSG_TLS.format(detail=getattr(exc, "reason", None) or exc)) from exc
    except TimeoutError as exc:
        raise MetadataFetchError(MSG_TIMEOUT.format(seconds=timeout)) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise MetadataFetchError(MSG_CONNECT.format(detail=exc.__class__.__name__)) from exc
    finally:
        connection.close()


def metadata_fetch(url: str, *, timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_METADATA_BYTES) -> bytes:
    """GET ``url`` (and at most MAX_REDIRECTS checked redirects); the body, or MetadataFetchError."""
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        status, location, body = _get_once(current, timeout, max_bytes)
        if status == 200:
            return body
        if location is None:
            raise MetadataFetchError(MSG_STATUS.format(status=status))
        current = urljoin(current, location)
    raise MetadataFetchError(MSG_REDIRECTS.format(count=MAX_REDIRECTS))
