"""Fetching metadata URLs: the SSRF guard, limits, redirects, against a real local HTTP server."""

import socket

import pytest

from ssogroups import fetch
from ssogroups.fetch import MetadataFetchError, metadata_fetch
from tests.ssogroups import samples


def fetch_error(url: str, **kwargs) -> str:
    with pytest.raises(MetadataFetchError) as exc:
        metadata_fetch(url, **kwargs)
    return exc.value.message


def private(address: str) -> str:
    return fetch.MSG_PRIVATE.format(address=address)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        pytest.param("http://127.0.0.1:{port}/metadata", "127.0.0.1", id="loopback"),
        pytest.param("http://localhost:{port}/metadata", None, id="localhost-name"),
        pytest.param("http://127.1.2.3/", "127.1.2.3", id="loopback-range"),
        pytest.param("http://[::1]:{port}/metadata", "::1", id="ipv6-loopback"),
        pytest.param("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1", id="ipv4-mapped-loopback"),
        pytest.param("http://10.0.0.5/", "10.0.0.5", id="rfc1918-10"),
        pytest.param("http://172.16.3.4/", "172.16.3.4", id="rfc1918-172"),
        pytest.param("http://192.168.1.1/", "192.168.1.1", id="rfc1918-192"),
        pytest.param("http://169.254.169.254/latest/meta-data/", "169.254.169.254", id="cloud-metadata-link-local"),
        pytest.param("http://[fe80::1]/", "fe80::1", id="ipv6-link-local"),
        pytest.param("http://[fd00::1]/", "fd00::1", id="ipv6-unique-local"),
        pytest.param("http://0.0.0.0:{port}/", "0.0.0.0", id="unspecified"),
        pytest.param("http://100.64.0.1/", "100.64.0.1", id="carrier-grade-nat"),
        pytest.param("http://2130706433:{port}/metadata", "127.0.0.1", id="decimal-ip"),
        pytest.param("http://[2002:7f00:1::1]/", "2002:7f00:1::1", id="6to4-of-loopback"),
        pytest.param("http://[64:ff9b::a9fe:a9fe]/", "64:ff9b::a9fe:a9fe", id="nat64-of-link-local"),
        pytest.param("http://[::127.0.0.1]/", "::7f00:1", id="ipv4-compatible-loopback"),
        pytest.param("http://[fec0::1]/", "fec0::1", id="ipv6-site-local"),
    ],
)
def test_private_addresses_are_refused_without_connecting(allow_http, metadata_server, url, address):
    message = fetch_error(url.format(port=metadata_server.port))
    if address is None:  # localhost may resolve to ::1 or 127.0.0.1 first
        assert message in (private("127.0.0.1"), private("::1"))
    else:
        assert message == private(address)
    assert metadata_server.hits == []


def test_every_resolved_address_is_checked(monkeypatch, allow_http, metadata_server):
    """A DNS answer with one public and one internal address is refused, whatever the order."""

    def resolver(host, port, *args, **kwargs):
        assert host == "idp.example.test"
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(fetch.socket, "getaddrinfo", resolver)
    assert fetch_error(f"http://idp.example.test:{metadata_server.port}/metadata") == private("127.0.0.1")
    assert metadata_server.hits == []


def test_connection_goes_to_the_checked_address(monkeypatch, settings, allow_http, metadata_server):
    """The address that passed the check is the one connected to (no second DNS lookup to rebind)."""
    settings.SSO_METADATA_ALLOW_PRIVATE_URLS = True
    answers = iter(["127.0.0.1", "10.255.255.1"])  # a rebinding resolver: second answer differs

    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host != "idp.example.test":  # an IP literal (the pinned address) resolves to itself
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(fetch.socket, "getaddrinfo", resolver)
    assert metadata_fetch(f"http://idp.example.test:{metadata_server.port}/metadata") == samples.jumpcloud_bytes()
    assert metadata_server.hits == ["/metadata"]


def test_unresolvable_host(monkeypatch):
    def resolver(host, port, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(fetch.socket, "getaddrinfo", resolver)
    assert (
        fetch_error("https://nowhere.example.test/md")
        == "The host nowhere.example.test of the metadata URL could not be resolved."
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("file:///etc/passwd", fetch.MSG_SCHEME, id="file"),
        pytest.param("ftp://idp.example.com/md.xml", fetch.MSG_SCHEME, id="ftp"),
        pytest.param("gopher://127.0.0.1:11211/_stats", fetch.MSG_SCHEME, id="gopher"),
        pytest.param("idp.example.com/metadata", fetch.MSG_SCHEME, id="no-scheme"),
        pytest.param("https://", fetch.MSG_BAD_URL, id="no-host"),
        pytest.param("http://[::1/", fetch.MSG_BAD_URL, id="broken-ipv6"),
        pytest.param("http://idp.example.com:99999/", fetch.MSG_BAD_URL, id="bad-port"),
        pytest.param("https://user:pw@idp.example.com/md", fetch.MSG_CREDENTIALS, id="credentials"),
    ],
)
def test_url_shape_is_checked_before_anything_else(url, message):
    assert fetch_error(url) == message


def test_setting_allows_private_addresses(allow_private, metadata_server):
    assert metadata_fetch(metadata_server.url("/metadata")) == samples.jumpcloud_bytes()


def test_non_200_is_refused(allow_private, metadata_server):
    assert fetch_error(metadata_server.url("/missing")) == "The metadata URL answered HTTP 404; expected 200."


def test_size_cap_by_content_length(allow_private, metadata_server):
    metadata_server.serve("/big", b"x" * 2048)
    assert fetch_error(metadata_server.url("/big"), max_bytes=1024) == fetch.MSG_TOO_LARGE


def test_size_cap_without_content_length(allow_private, metadata_server):
    metadata_server.serve("/big", b"x" * (1024 * 1024 + 10), headers={"X-No-Length": "1"})
    assert fetch_error(metadata_server.url("/big")) == fetch.MSG_TOO_LARGE


def test_timeout(allow_private, metadata_server):
    assert (
        fetch_error(metadata_server.url("/slow"), timeout=0.3) == "The metadata URL did not answer within 0.3 seconds."
    )


def test_a_dripping_server_hits_the_overall_deadline(allow_private, metadata_server):
    assert (
        fetch_error(metadata_server.url("/drip"), timeout=0.5) == "The metadata URL did not answer within 0.5 seconds."
    )


def test_connection_refused(allow_private):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: the connection is refused
        assert fetch_error(f"http://127.0.0.1:{port}/") == (
            "The metadata URL could not be fetched: the server refused the connection."
        )


def test_redirects_are_followed_and_checked(allow_private, metadata_server):
    metadata_server.serve("/moved", b"", status=302, headers={"Location": "/metadata"})
    assert metadata_fetch(metadata_server.url("/moved")) == samples.jumpcloud_bytes()
    metadata_server.serve("/to-file", b"", status=301, headers={"Location": "file:///etc/passwd"})
    assert fetch_error(metadata_server.url("/to-file")) == fetch.MSG_SCHEME
    metadata_server.serve("/loop", b"", status=307, headers={"Location": "/loop"})
    assert fetch_error(metadata_server.url("/loop")) == "The metadata URL redirected more than 3 times."


def test_redirect_to_a_private_address_is_refused(monkeypatch, allow_http, metadata_server):
    """First hop "public" (by a stub resolver), second hop to 169.254.169.254: refused before connecting."""
    metadata_server.serve("/hop", b"", status=302, headers={"Location": "http://169.254.169.254/latest/"})
    monkeypatch.setattr(fetch, "_is_public", lambda address: str(address) != "169.254.169.254")
    assert fetch_error(metadata_server.url("/hop")) == private("169.254.169.254")
    assert metadata_server.hits == ["/hop"]


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://idp.example.com/meta data.xml", id="space"),
        pytest.param("https://idp.example.com/md\x00", id="nul"),
        pytest.param("https://idp.example.com/" + "a" * 2048, id="too-long"),
        pytest.param("https://" + "ü" * 64 + ".example/md", id="bad-idn-label"),
    ],
)
def test_malformed_urls(url):
    assert fetch_error(url) == fetch.MSG_BAD_URL


def test_idn_hosts_are_resolved_as_punycode_and_uppercase_schemes_work(monkeypatch):
    seen = []

    def resolver(host, port, *args, **kwargs):
        seen.append((host, port))
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port))]

    monkeypatch.setattr(fetch.socket, "getaddrinfo", resolver)
    assert fetch_error("HTTPS://bücher.example/md") == private("10.0.0.1")
    assert seen == [("xn--bcher-kva.example", 443)]


def test_https_certificates_are_verified(allow_private, tmp_path):
    """A TLS server with a self-signed certificate is refused: fetching never skips verification."""
    import ssl
    import threading

    key_file, cert_file = tmp_path / "key.pem", tmp_path / "cert.pem"
    pair = __import__("tests.support.keys", fromlist=["make_keypair"]).make_keypair("localhost")
    key_file.write_text(pair.key_pem)
    cert_file.write_text(pair.cert_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        def accept_once():
            conn, _ = listener.accept()
            try:
                context.wrap_socket(conn, server_side=True).close()
            except (ssl.SSLError, OSError):
                conn.close()

        thread = threading.Thread(target=accept_once, daemon=True)
        thread.start()
        message = fetch_error(f"https://127.0.0.1:{port}/metadata", timeout=5)
        thread.join(timeout=5)
    assert message.startswith("The metadata URL's TLS certificate could not be verified: ")
