"""A real local HTTP server for metadata-URL tests (127.0.0.1, stopped after each test)."""

import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.ssogroups import samples
from tests.support.keys import shared_keypair


@dataclass
class MetadataServer:
    port: int
    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> str:
        self.routes[path] = (status, headers or {"Content-Type": "application/xml"}, body)
        return self.url(path)


@pytest.fixture
def metadata_server() -> Iterator[MetadataServer]:
    state: dict = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            server: MetadataServer = state["server"]
            server.hits.append(self.path)
            if self.path == "/slow":
                time.sleep(1.5)
            if self.path == "/drip":
                self.send_response(200)
                self.end_headers()
                for _ in range(30):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
                return
            status, headers, body = server.routes.get(self.path, (404, {}, b"not found"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" not in headers and not headers.get("X-No-Length"):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server = MetadataServer(port=httpd.server_address[1])
    server.serve("/metadata", samples.jumpcloud_bytes())
    state["server"] = server
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def allow_http(settings):
    """Let metadata URLs use plain http, as the test server speaks (development's default)."""
    settings.SSO_METADATA_ALLOW_HTTP = True


@pytest.fixture
def allow_private(settings, allow_http):
    """Let metadata URLs reach http://127.0.0.1, where the test server listens."""
    settings.SSO_METADATA_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def fixed_now(monkeypatch):
    monkeypatch.setattr("sparksso.clock.now", lambda: samples.FIXED_NOW)
    return samples.FIXED_NOW


# A group's signing key and the key a rollover (or an attacker) proposes instead.
@pytest.fixture
def old_keys():
    return shared_keypair("saml-idp-main")


@pytest.fixture
def new_keys():
    return shared_keypair("saml-idp-rotated")
