"""A browser-facing test IdP on 127.0.0.1: it receives our HTTP-Redirect AuthnRequest and answers with
a page whose "Continue" button POSTs a response signed by the independent pysaml2 IdP to the ACS.

Like an IdP's "you are signed in, continue" page (no script: the test clicks, as a person would).
"""

import html
import http.server
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.ssogroups.saml.idp import SP, TestIdP, authn_request_from_redirect, b64

PORTS = range(8660, 8700)  # this helper's range; live_server takes its own


@dataclass
class BrowserIdP:
    idp: TestIdP
    sp: SP
    port: int = 0
    name_id: str = "alice@example.com"
    attributes: dict[str, list[str]] = field(default_factory=lambda: {"firstName": ["Alice"], "lastName": ["Liddell"]})
    signer: TestIdP | None = None  # another key (and Issuer) to sign with, for failure tests
    requests: list[str] = field(default_factory=list)

    @property
    def sso_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sso"

    def page(self, url: str) -> bytes:
        request, query = authn_request_from_redirect(url)
        self.requests.append(request.get("ID"))
        signer = self.signer or self.idp
        xml = signer.response(
            self.sp, name_id=self.name_id, attributes=self.attributes, in_response_to=request.get("ID")
        )
        relay = query.get("RelayState", [""])[0]
        return (
            "<!doctype html><title>Test IdP</title><h1>Test IdP</h1>"
            f'<form method="post" action="{html.escape(self.sp.acs_url)}">'
            f'<input type="hidden" name="SAMLResponse" value="{b64(xml)}">'
            f'<input type="hidden" name="RelayState" value="{html.escape(relay)}">'
            "<button type=submit>Continue</button></form>"
        ).encode()


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8660-8699")


@contextmanager
def browser_idp(idp: TestIdP, sp: SP) -> Iterator[BrowserIdP]:
    state = BrowserIdP(idp=idp, sp=sp)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            if not self.path.startswith("/sso?"):  # e.g. /favicon.ico
                self.send_error(404)
                return
            body = state.page(f"http://127.0.0.1{self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    state.port = _free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
