"""Metadata fetch hardening: https only, no TLS downgrade on redirect, one deadline for the whole fetch.

Real servers on 127.0.0.1: a TLS server whose certificate the test trusts, and a raw socket server
that drips its status line and headers one byte at a time.
"""

import http.server
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.management import CommandError, call_command

from accounts.models import Event
from ssogroups import fetch
from ssogroups.fetch import MetadataFetchError, metadata_fetch
from ssogroups.models import SSOCertificate, SSOGroup
from tests.ssogroups import samples

ROOT = Path(__file__).resolve().parents[2]
# Servers this module starts listen on a port of this helper's range (see COMMON.md).
PORTS = range(8500, 8550)


def fetch_error(url: str, **kwargs) -> str:
    with pytest.raises(MetadataFetchError) as exc:
        metadata_fetch(url, **kwargs)
    return exc.value.message


def _listen() -> socket.socket:
    """A listening socket on the first free port of PORTS."""
    for port in PORTS:
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        sock.listen(4)
        return sock
    raise RuntimeError("no free port in 8500-8549")


# --- https only ----------------------------------------------------------------------------


def test_plain_http_is_refused_before_any_lookup(monkeypatch):
    looked_up = []
    monkeypatch.setattr(fetch.socket, "getaddrinfo", lambda *args, **kwargs: looked_up.append(args))
    assert fetch_error("http://idp.example.com/metadata") == fetch.MSG_HTTP
    assert fetch_error("HTTP://idp.example.com/metadata") == fetch.MSG_HTTP
    assert looked_up == []


def test_allow_http_lets_plain_http_through(allow_private, metadata_server):
    assert metadata_fetch(metadata_server.url("/metadata")) == samples.jumpcloud_bytes()


SETUP = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SSO_METADATA_ALLOW_HTTP, settings.SSO_METADATA_ALLOW_PRIVATE_URLS)"
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({"SPARKSSO_MODE": "development"}, "True True", id="development-default-on"),
        # No SPARKSSO_MODE but a SECRET_KEY (a gunicorn or cron start): production, guard on.
        pytest.param({}, "False False", id="secret-key-implies-production"),
        pytest.param({"SPARKSSO_MODE": "production"}, "False False", id="production-default-off"),
        pytest.param(
            {"SPARKSSO_MODE": "production", "SSO_METADATA_ALLOW_HTTP": "1"}, "True False", id="production-opt-in"
        ),
        pytest.param(
            {"SPARKSSO_MODE": "development", "SSO_METADATA_ALLOW_PRIVATE_URLS": "0"},
            "True False",
            id="development-opt-out",
        ),
    ],
)
def test_http_and_private_urls_default_by_mode(tmp_path, env, expected):
    """The bundled dev IdP (http://127.0.0.1:8001/metadata) works in development; production is strict."""
    drop = ("SECRET_KEY", "SPARKSSO_MODE", "BASE_URL", "SSO_METADATA_ALLOW_HTTP", "SSO_METADATA_ALLOW_PRIVATE_URLS")
    base = {k: v for k, v in os.environ.items() if k not in drop}
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "sparksso.settings",
        "SPARKSSO_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "fetch-limits-test-key-" + "0123456789abcdefghijklmnopqrstuvwxyz",
        "BASE_URL": "https://sso.example.com",
        **env,
    }
    result = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


# --- no https -> http redirect ----------------------------------------------------------------


def _localhost_certificate(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.fixture
def tls_redirect_server(tmp_path, monkeypatch):
    """An https server on 127.0.0.1 (trusted by the fetcher for this test) answering every GET with
    a redirect to ``state["location"]``."""
    cert_file, key_file = _localhost_certificate(tmp_path)
    trusted = ssl.create_default_context(cafile=str(cert_file))
    monkeypatch.setattr(fetch.ssl, "create_default_context", lambda: trusted)
    state = {"location": "", "hits": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            state["hits"].append(self.path)
            if self.path == "/metadata":
                body = samples.jumpcloud_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(302)
            self.send_header("Location", state["location"])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    listener = _listen()
    port = listener.getsockname()[1]
    listener.close()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    httpd.socket = server_context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state["base"] = f"https://127.0.0.1:{port}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_https_to_https_redirect_is_followed(allow_private, tls_redirect_server):
    tls_redirect_server["location"] = "/metadata"
    assert metadata_fetch(tls_redirect_server["base"] + "/moved") == samples.jumpcloud_bytes()
    assert tls_redirect_server["hits"] == ["/moved", "/metadata"]


def test_https_to_http_redirect_is_refused_even_where_http_is_allowed(
    allow_private, tls_redirect_server, metadata_server
):
    """SSO_METADATA_ALLOW_HTTP is on here, and the http target would answer: still refused, unfetched."""
    tls_redirect_server["location"] = metadata_server.url("/metadata")
    assert fetch_error(tls_redirect_server["base"] + "/moved") == fetch.MSG_DOWNGRADE
    assert tls_redirect_server["hits"] == ["/moved"]
    assert metadata_server.hits == []


# --- one deadline for the whole fetch -------------------------------------------------------------

DRIP_HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nX-Padding: " + b"x" * 40 + b"\r\n\r\n"


@pytest.fixture
def dripping_server():
    """A server sending its status line and headers one byte every 0.25 s (about 25 s in all).

    ``finished`` is set only if it got every byte out; ``stopped`` once it has given up.
    """
    listener = _listen()
    state = {
        "url": f"http://127.0.0.1:{listener.getsockname()[1]}/metadata",
        "finished": threading.Event(),
        "stopped": threading.Event(),
        "quit": threading.Event(),
    }

    def serve():
        try:
            conn, _ = listener.accept()
        except OSError:
            state["stopped"].set()
            return
        with conn:
            conn.recv(65536)  # the request
            try:
                for byte in DRIP_HEADERS:
                    if state["quit"].wait(0.25):
                        break
                    conn.sendall(bytes([byte]))
                else:
                    state["finished"].set()
            except OSError:  # the fetcher hung up: what we want
                pass
        state["stopped"].set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state["quit"].set()
        listener.close()
        thread.join(timeout=5)


def test_a_server_dripping_its_headers_hits_the_deadline_and_nothing_is_written(
    account, allow_private, dripping_server, monkeypatch
):
    """Each byte arrives well inside any per-read timeout; only a deadline for the whole fetch stops it."""
    monkeypatch.setattr(fetch, "TIMEOUT_SECONDS", 1.5)
    before = (SSOGroup.objects.count(), SSOCertificate.objects.count(), Event.objects.count())
    with pytest.raises(CommandError) as exc:
        call_command(
            "ssogroup_import", "--account", str(account.pk), "--name", "Slow", "--metadata", dripping_server["url"]
        )
    assert str(exc.value) == "The metadata URL did not answer within 1.5 seconds."
    # The fetch gave up while the server was still sending its headers.
    assert not dripping_server["finished"].is_set()
    assert (SSOGroup.objects.count(), SSOCertificate.objects.count(), Event.objects.count()) == before


def test_the_deadline_is_measured_on_the_fetch_clock_across_every_read(allow_private, metadata_server, monkeypatch):
    """With a clock that advances 1 s per look, a 3 s fetch fails however fast the server is."""
    ticks = iter(range(0, 1000))
    monkeypatch.setattr(fetch, "monotonic", lambda: float(next(ticks)))
    assert fetch_error(metadata_server.url("/metadata"), timeout=3) == (
        "The metadata URL did not answer within 3 seconds."
    )
    # The same fetch on a clock that does not move succeeds: the clock alone decided.
    monkeypatch.setattr(fetch, "monotonic", lambda: 0.0)
    assert metadata_fetch(metadata_server.url("/metadata"), timeout=3) == samples.jumpcloud_bytes()


def test_the_deadline_spans_redirects(allow_private, metadata_server, monkeypatch):
    """Each hop does not get a fresh timeout: four hops at 1 s each exceed a 3.5 s deadline."""
    metadata_server.serve("/a", b"", status=302, headers={"Location": "/b"})
    metadata_server.serve("/b", b"", status=302, headers={"Location": "/c"})
    metadata_server.serve("/c", b"", status=302, headers={"Location": "/metadata"})
    now = [0.0]

    def clock() -> float:
        return now[0]

    real_get_once = fetch._get_once

    def hop(url, deadline, max_bytes):
        now[0] += 1.0  # every hop costs one second of the fetch clock
        return real_get_once(url, deadline, max_bytes)

    monkeypatch.setattr(fetch, "monotonic", clock)
    monkeypatch.setattr(fetch, "_get_once", hop)
    assert fetch_error(metadata_server.url("/a"), timeout=3.5) == "The metadata URL did not answer within 3.5 seconds."
    assert metadata_server.hits == ["/a", "/b", "/c"]
    assert time.monotonic() > 0  # the real clock is untouched by the patch
