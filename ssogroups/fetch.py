"""Fetch IdP metadata from a URL without becoming an SSRF proxy into our own network.

The host is resolved once, every address it resolves to is checked, and the connection goes to
that checked address (so a DNS answer cannot change between the check and the connect). Only
https (plain http only with SSO_METADATA_ALLOW_HTTP, for development), one deadline for the whole
fetch (connect, TLS, headers, body, redirects), a size cap, and a few redirects that are each
checked the same way and never go from https down to http.
"""

import errno
import http.client
import io
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from accounts.identifiers import domain_to_ascii
from ssogroups.metadata import MAX_METADATA_BYTES, looks_like_html, looks_like_xml

TIMEOUT_SECONDS = 10
MAX_REDIRECTS = 3
MAX_URL_LENGTH = 2048  # SSOGroup.idp_metadata_url
USER_AGENT = "sparksso-metadata-fetch/1"

MSG_SCHEME = "The metadata URL must start with https:// (or http:// where plain HTTP is allowed)."
MSG_HTTP = (
    "The metadata URL must use https://; plain http:// is refused (an attacker on the path could swap "
    "the IdP's certificate)."
)
MSG_DOWNGRADE = "The metadata URL redirected from https:// to plain http://, which is refused."
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
MSG_HTML = (
    "The metadata URL returned an HTML page, not SAML metadata (content type {content_type}). It may be a "
    "sign-in or error page: use the URL the IdP gives as its SAML metadata URL."
)
# What went wrong with the connection, in words (never an exception's class name).
CONNECT_REFUSED = "the server refused the connection"
CONNECT_CLOSED = "the server closed the connection before answering"
CONNECT_UNREACHABLE = "the server's network is unreachable"
CONNECT_NOT_HTTP = "the server's answer was not valid HTTP"
CONNECT_FAILED = "the connection failed"
HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml")
CONTENT_TYPE_NONE = "none given"


class MetadataFetchError(ValueError):
    """The URL could not (or must not) be fetched; ``message`` is meant for the admin."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def allow_private_urls() -> bool:
    """SSO_METADATA_ALLOW_PRIVATE_URLS: on-premises IdPs and development; off in production by default."""
    return settings.SSO_METADATA_ALLOW_PRIVATE_URLS


def allow_http() -> bool:
    """SSO_METADATA_ALLOW_HTTP: plain http for the development IdP; off in production by default."""
    return settings.SSO_METADATA_ALLOW_HTTP


# The clock the deadline is measured on; a module attribute so tests can move it.
monotonic: Callable[[], float] = time.monotonic


class _Deadline:
    """One point in time the whole fetch must finish by; every socket wait gets only what is left."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = monotonic() + seconds

    def remaining(self) -> float:
        left = self.at - monotonic()
        if left <= 0:
            raise TimeoutError
        return left


class _DeadlineSocket:
    """A socket whose every send and receive waits at most until the deadline.

    A per-call socket timeout is not enough: a server sending one byte just inside it (headers
    included) would hold the fetch forever. http.client reads through ``makefile``, so wrapping
    ``recv_into`` bounds the status line, the headers and the body alike.
    """

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline
        self._readers = 0  # as socket.socket: close() waits for the response's reader to close
        self._closed = False

    def sendall(self, data: bytes) -> None:
        self._sock.settimeout(self._deadline.remaining())
        self._sock.sendall(data)

    def recv_into(self, buffer, nbytes: int = 0) -> int:
        self._sock.settimeout(self._deadline.remaining())
        return self._sock.recv_into(buffer, nbytes)

    def makefile(self, mode: str = "rb", *args, **kwargs) -> io.BufferedReader:
        self._readers += 1
        return io.BufferedReader(socket.SocketIO(self, "rb"))

    def _decref_socketios(self) -> None:  # SocketIO.close() calls it
        self._readers -= 1
        if self._closed and self._readers <= 0:
            self._sock.close()

    def close(self) -> None:
        self._closed = True
        if self._readers <= 0:
            self._sock.close()


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
    def __init__(self, host: str, port: int, address: str, deadline: _Deadline) -> None:
        super().__init__(host, port)
        self._address = address
        self._deadline = deadline

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self._deadline.remaining())
        self.sock = _DeadlineSocket(sock, self._deadline)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, deadline: _Deadline) -> None:
        super().__init__(host, port, context=ssl.create_default_context())
        self._address = address
        self._deadline = deadline

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self._deadline.remaining())
        sock.settimeout(self._deadline.remaining())  # bounds the TLS handshake too
        # SNI and certificate verification use the URL's host name, not the pinned address.
        tls = self._context.wrap_socket(sock, server_hostname=self.host)
        self.sock = _DeadlineSocket(tls, self._deadline)


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
    if parts.scheme.lower() == "http" and not allow_http():
        raise MetadataFetchError(MSG_HTTP)
    if not parts.hostname:
        raise MetadataFetchError(MSG_BAD_URL)
    host = parts.hostname if ":" in parts.hostname else domain_to_ascii(parts.hostname)  # IDNA 2008, as claims
    if not host:
        raise MetadataFetchError(MSG_BAD_URL)
    if parts.username is not None or parts.password is not None:
        raise MetadataFetchError(MSG_CREDENTIALS)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    scheme = parts.scheme.lower()
    return scheme, host, port or (443 if scheme == "https" else 80), path


def _connect_failure(exc: OSError | http.client.HTTPException) -> str:
    """The words for a failed connection (its class name would tell the admin nothing)."""
    if isinstance(exc, ConnectionRefusedError):
        return CONNECT_REFUSED
    if isinstance(exc, ConnectionError):  # reset, aborted, broken pipe, http.client.RemoteDisconnected
        return CONNECT_CLOSED
    if isinstance(exc, http.client.HTTPException):
        return CONNECT_NOT_HTTP
    if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return CONNECT_UNREACHABLE
    return CONNECT_FAILED


def _html_refuse(content_type: str | None, body: bytes) -> None:
    """An HTML page where metadata was expected (a sign-in or error page) is said as such."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if looks_like_html(body) or (mime in HTML_CONTENT_TYPES and not looks_like_xml(body)):
        raise MetadataFetchError(MSG_HTML.format(content_type=mime or CONTENT_TYPE_NONE))


def _get_once(url: str, deadline: _Deadline, max_bytes: int) -> tuple[int, str | None, bytes]:
    scheme, host, port, path = _split(url)
    address = resolve_checked(host, port)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address, deadline)
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
        # Every read waits only until the one deadline (_DeadlineSocket), so dripping cannot hold us.
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read1(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise MetadataFetchError(MSG_TOO_LARGE)
            chunks.append(chunk)
        body = b"".join(chunks)
        _html_refuse(response.getheader("Content-Type"), body)
        return 200, None, body
    except ssl.SSLError as exc:
        raise MetadataFetchError(MSG_TLS.format(detail=getattr(exc, "reason", None) or exc)) from exc
    except TimeoutError as exc:  # socket.timeout is TimeoutError; _Deadline raises it too
        raise MetadataFetchError(MSG_TIMEOUT.format(seconds=deadline.seconds)) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise MetadataFetchError(MSG_CONNECT.format(detail=_connect_failure(exc))) from exc
    finally:
        connection.close()


def metadata_fetch(url: str, *, timeout: float | None = None, max_bytes: int = MAX_METADATA_BYTES) -> bytes:
    """GET ``url`` (and at most MAX_REDIRECTS checked redirects); the body, or MetadataFetchError.

    ``timeout`` (default TIMEOUT_SECONDS, read at call time) bounds the whole fetch, redirects included.
    """
    deadline = _Deadline(TIMEOUT_SECONDS if timeout is None else timeout)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        status, location, body = _get_once(current, deadline, max_bytes)
        if status == 200:
            return body
        if location is None:
            raise MetadataFetchError(MSG_STATUS.format(status=status))
        following = urljoin(current, location)
        # It's crucial that a redirect never leaves TLS, even where plain http is allowed: the
        # https URL the admin gave is the promise that no one on the path can swap certificates.
        if urlsplit(current).scheme.lower() == "https" and urlsplit(following).scheme.lower() != "https":
            raise MetadataFetchError(MSG_DOWNGRADE if urlsplit(following).scheme.lower() == "http" else MSG_SCHEME)
        current = following
    raise MetadataFetchError(MSG_REDIRECTS.format(count=MAX_REDIRECTS))
