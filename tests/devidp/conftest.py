"""Drive the dev IdP's WSGI app directly (no server) and serve small HTTP fixtures on loopback."""

import base64
import io
import shutil
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import pytest

from devidp import spfetch
from devidp.app import DevIdP
from devidp.keys import keypair_ensure

SP_ENTITY = "http://localhost:8000/api/v1/users/saml/7/devidp/metadata"
SP_ACS = "http://localhost:8000/api/v1/users/saml/7/devidp/consume"
IDP_BASE = "http://127.0.0.1:8001"


def sp_metadata(entity_id: str = SP_ENTITY, *acs: tuple[str, str, str]) -> bytes:
    """SP metadata; ``acs`` is (location, index, isDefault) triples, HTTP-POST each."""
    services = "".join(
        f'<md:AssertionConsumerService Binding="{spfetch.BINDING_POST}" Location="{loc}" index="{i}"'
        + (f' isDefault="{d}"' if d else "")
        + "/>"
        for loc, i, d in (acs or ((SP_ACS, "0", "true"),))
    )
    return (
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity_id}">'
        f'<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{services}'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    ).encode()


def authn_request(
    *, issuer: str | None = SP_ENTITY, request_id: str = "ONELOGIN_req1", acs: str | None = SP_ACS, extra: str = ""
) -> str:
    acs_attr = f' AssertionConsumerServiceURL="{acs}"' if acs else ""
    issuer_xml = f'<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">{issuer}</saml:Issuer>'
    return (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'ID="{request_id}" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" Destination="{IDP_BASE}/sso" '
        f'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"{acs_attr}{extra}>'
        f"{issuer_xml if issuer else ''}</samlp:AuthnRequest>"
    )


def redirect_encode(xml: str) -> str:
    compressor = zlib.compressobj(wbits=-15)
    return base64.b64encode(compressor.compress(xml.encode()) + compressor.flush()).decode()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str
    cookies: list[str] = field(default_factory=list)


def call(app: DevIdP, method: str, path: str, *, query: dict | None = None, form: dict | None = None,
         cookie: str = "") -> Answer:  # fmt: skip
    """One request through the WSGI interface, as wsgiref's server would make it."""
    body = urlencode(form or {}).encode()
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": urlencode(query or {}),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "HTTP_COOKIE": cookie,
        "wsgi.input": io.BytesIO(body),
    }
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, headers

    chunks = app(environ, start_response)
    headers = dict(seen["headers"])
    cookies = [v for k, v in seen["headers"] if k == "Set-Cookie"]
    return Answer(int(seen["status"][:3]), headers, b"".join(chunks).decode(), cookies)


@pytest.fixture
def learned() -> dict[str, bytes]:
    """What each SP URL serves, for the app's SP lookup (parsed by the real parser)."""
    return {SP_ENTITY: sp_metadata()}


@pytest.fixture(scope="session")
def _keys_once(tmp_path_factory) -> Path:
    """RSA generation is slow-ish: one dev IdP key pair (and rogue pair) for the session."""
    directory = tmp_path_factory.mktemp("devidp-keys")
    keypair_ensure(state_dir=directory)
    keypair_ensure(state_dir=directory, name="rogue")
    return directory


@pytest.fixture
def state_dir(tmp_path, _keys_once) -> Path:
    """A fresh state directory holding the session's key pairs (so no state leaks between tests)."""
    directory = tmp_path / "state"
    shutil.copytree(_keys_once, directory)
    return directory


@pytest.fixture
def idp(state_dir, learned) -> DevIdP:
    def sp_learn(entity_id: str) -> spfetch.SPInfo:
        if entity_id not in learned:
            raise spfetch.SPError(spfetch.MSG_STATUS.format(url=entity_id, status=404))
        return spfetch.sp_metadata_parse(learned[entity_id], url=entity_id)

    return DevIdP(base_url=IDP_BASE, state_dir=state_dir, sp_learn=sp_learn)


@pytest.fixture
def http_fixture() -> Iterator[Callable[[Callable[[BaseHTTPRequestHandler], None]], str]]:
    """Serve ``handler(request_handler)`` on a free loopback port; returns its base URL."""
    servers = []

    def serve(handle: Callable[[BaseHTTPRequestHandler], None]) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the stdlib's name)
                handle(self)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
