"""The IdP's side of Single Logout, built and checked by pysaml2 (and the xmlsec1 program), never by
the SP code under test: LogoutRequests and LogoutResponses the IdP sends, signed (HTTP-Redirect query
signature or enveloped HTTP-POST signature) or not, and verification of the SP's own messages with
the SP's certificate."""

import base64
import datetime as dt
import zlib
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from lxml import etree
from saml2 import BINDING_HTTP_REDIRECT
from saml2.saml import Issuer, NameID
from saml2.samlp import STATUS_SUCCESS, LogoutRequest, LogoutResponse, SessionIndex, Status, StatusCode
from saml2.sigver import verify_redirect_signature
from saml2.xmldsig import SIG_RSA_SHA256

from tests.ssogroups.saml.idp import EMAIL, NS, SHA256, SP, TestIdP

LOGOUT_REQUEST_NODE = "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest"
LOGOUT_RESPONSE_NODE = "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse"
_seq = iter(range(1, 10**9))


def saml_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def logout_request_xml(
    idp: TestIdP,
    *,
    destination: str | None,
    name_id: str,
    name_id_format: str = EMAIL,
    session_indexes: tuple[str, ...] = (),
    issuer: str | None = None,
    issue_instant: dt.datetime | None = None,
    not_on_or_after: dt.datetime | None = None,
) -> str:
    """An unsigned LogoutRequest from ``idp`` (pysaml2's own classes)."""
    request = LogoutRequest(
        id=f"_idp-logout-{next(_seq)}",
        version="2.0",
        issue_instant=saml_time(issue_instant or dt.datetime.now(dt.UTC)),
        destination=destination,
        issuer=Issuer(text=issuer or idp.entity_id),
        name_id=NameID(format=name_id_format, text=name_id),
        session_index=[SessionIndex(text=s) for s in session_indexes],
    )
    if not_on_or_after is not None:
        request.not_on_or_after = saml_time(not_on_or_after)
    return str(request)


def logout_response_xml(
    idp: TestIdP,
    *,
    destination: str,
    in_response_to: str,
    status: str = STATUS_SUCCESS,
    issuer: str | None = None,
) -> str:
    response = LogoutResponse(
        id=f"_idp-logout-response-{next(_seq)}",
        version="2.0",
        issue_instant=saml_time(dt.datetime.now(dt.UTC)),
        destination=destination,
        in_response_to=in_response_to,
        issuer=Issuer(text=issuer or idp.entity_id),
        status=Status(status_code=StatusCode(value=status)),
    )
    return str(response)


def post_signed(idp: TestIdP, sp: SP, xml: str) -> str:
    """``xml`` with an enveloped RSA-SHA256 signature by the IdP's key (inserted after the Issuer)."""
    tree = etree.fromstring(xml.encode())
    idp._insert_signature_template(tree, *SHA256)
    node = LOGOUT_REQUEST_NODE if tree.tag.endswith("LogoutRequest") else LOGOUT_RESPONSE_NODE
    return idp.server(sp).sec.sign_statement(
        etree.tostring(tree).decode(), node, key_file=str(idp.key_file), node_id=tree.get("ID")
    )


def b64(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


def redirect_signed(
    idp: TestIdP, sp: SP, xml: str, *, to: str, relay_state: str = "", sigalg: str = SIG_RSA_SHA256
) -> str:
    """The HTTP-Redirect URL (query signature, RSA-SHA256) pysaml2 builds for ``xml``."""
    response = etree.fromstring(xml.encode()).tag == f"{{{NS['samlp']}}}LogoutResponse"
    info = idp.server(sp).apply_binding(
        BINDING_HTTP_REDIRECT, xml, to, relay_state, response=response, sign=True, sigalg=sigalg
    )
    return dict(info["headers"])["Location"]


def redirect_unsigned(xml: str, *, to: str, field: str = "SAMLRequest") -> str:
    encoded = base64.b64encode(zlib.compress(xml.encode())[2:-4]).decode()
    return f"{to}?{urlencode({field: encoded})}"


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def our_redirect_verified(url: str, *, idp: TestIdP, sp: SP, sp_cert_pem: str) -> tuple[etree._Element, dict]:
    """Decode the SP's HTTP-Redirect message and verify its query signature with the SP's certificate
    (pysaml2); the XML root and the parameters."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["SigAlg"] == SIG_RSA_SHA256
    bare = "".join(line for line in sp_cert_pem.splitlines() if "-----" not in line)  # as metadata carries it
    assert verify_redirect_signature(query, idp.server(sp).sec.sec_backend, cert=bare)
    field = "SAMLRequest" if "SAMLRequest" in query else "SAMLResponse"
    xml = zlib.decompress(base64.b64decode(query[field]), -15)
    return etree.fromstring(xml), query


def our_post_verified(value: str, *, idp: TestIdP, sp: SP, sp_cert_pem: str, workdir: Path) -> etree._Element:
    """Decode the SP's HTTP-Redirect form value and verify its enveloped signature with the SP's
    certificate (pysaml2 through xmlsec1)."""
    xml = base64.b64decode(value).decode()
    tree = etree.fromstring(xml.encode())
    cert_file = workdir / "sp-cert.pem"
    cert_file.write_text(sp_cert_pem)
    node = LOGOUT_REQUEST_NODE if tree.tag.endswith("LogoutRequest") else LOGOUT_RESPONSE_NODE
    assert idp.server(sp).sec.verify_signature(
        xml, cert_file=str(cert_file), cert_type="pem", node_name=node, node_id=tree.get("ID")
    )
    signatures = tree.findall("ds:Signature", NS)
    assert len(signatures) == 1
    assert signatures[0].find("ds:SignedInfo/ds:Reference", NS).get("URI") == f"#{tree.get('ID')}"
    return tree


def published_sp_certificate(client, group) -> str:
    """The SP's signing certificate as its published metadata carries it (what a real IdP verifies with)."""
    metadata = etree.fromstring(client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/metadata").content)
    md = "urn:oasis:names:tc:SAML:2.0:metadata"
    [signing] = [kd for kd in metadata.iter(f"{{{md}}}KeyDescriptor") if kd.get("use") in (None, "signing")][:1]
    b64_cert = "".join(signing.find(".//ds:X509Certificate", NS).text.split())
    lines = [b64_cert[i : i + 64] for i in range(0, len(b64_cert), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
