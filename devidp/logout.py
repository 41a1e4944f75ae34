"""Single Logout for the dev IdP (on when ``DevIdP(slo=True)``, ``IDP_SLO=1`` for ``make idp``).

- The SP's LogoutRequest arrives at ``/slo`` (HTTP-Redirect or HTTP-POST): its signature is checked
  with the certificate the SP's own metadata publishes, the person is signed out of the dev IdP, and
  a signed LogoutResponse goes back to the SP's SingleLogoutService.
- "Sign out everywhere" on the Applications page (``POST /slo/start``) sends the SP a signed
  LogoutRequest for the person's session there (IdP-initiated); its LogoutResponse comes back to ``/slo``.

pysaml2 builds and signs (through the xmlsec1 program), as for sign-in. Nothing here trusts an
unsigned message: a refusal is an error page saying why.
"""

import base64
import binascii
import datetime as dt
import secrets
import tempfile
import threading
import zlib
from dataclasses import dataclass
from html import escape
from pathlib import Path

from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, Issuer, NameID
from saml2.samlp import STATUS_SUCCESS, LogoutRequest, LogoutResponse, SessionIndex, Status, StatusCode
from saml2.sigver import SigverError, pre_signature_part, verify_redirect_signature
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from devidp import pages, spfetch
from devidp.keys import KeyFiles

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
REQUEST_NODE = "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest"
RESPONSE_NODE = "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse"
MAX_MESSAGE_BYTES = 64 * 1024

MSG_NO_MESSAGE = "No SAMLRequest or SAMLResponse here. Sign out from the SP (e.g. sparksso's Sign out)."
MSG_ENCODING = "The logout message is not valid base64 (or deflate, for HTTP-Redirect), or not XML."
MSG_NOT_LOGOUT = "The message is not a SAML LogoutRequest or LogoutResponse."
MSG_NO_ISSUER = "The logout message names no Issuer, so the IdP cannot tell which SP sent it."
MSG_SP = "The SP's metadata could not be used: {detail}"
MSG_NO_SP_CERT = "The SP's metadata publishes no signing certificate, so its logout message cannot be checked."
MSG_NO_SP_SLO = "The SP's metadata lists no SingleLogoutService (HTTP-Redirect or HTTP-POST)."
MSG_UNSIGNED = "The logout message is not signed: refused."
MSG_BAD_SIGNATURE = "The logout message's signature does not verify with the SP's published certificate: refused."
MSG_DESTINATION = "The logout message is addressed to {destination}, not to this IdP's {ours}: refused."
MSG_UNKNOWN_RESPONSE = "This LogoutResponse answers no logout this IdP started (or was already used)."
MSG_NOT_SIGNED_IN = "You are not signed in to the dev IdP, so there is nothing to sign out of."
MSG_NO_SESSIONS = "You have not signed in to any application from this IdP since it started."
MSG_SIGNING = "The logout message could not be signed: {detail} (is the xmlsec1 program installed?)"


class LogoutError(ValueError):
    """A logout message the dev IdP refuses; the message is shown on its error page."""


@dataclass(frozen=True)
class SPLogout:
    """What the SP's metadata says about logging out of it."""

    entity_id: str
    default_acs: str
    slo_binding: str
    slo_url: str
    certificates_b64: tuple[str, ...]


@dataclass(frozen=True)
class Participation:
    """A person's session at one SP, as our response to it said."""

    sp_entity_id: str
    name_id: str
    name_id_format: str
    session_index: str


def metadata_with_slo(xml: str, *, base_url: str) -> str:
    """The IdP metadata plus its SingleLogoutService on both bindings (before NameIDFormat, as the schema orders)."""
    slo = escape(f"{base_url}/slo")
    services = (
        f'<md:SingleLogoutService Binding="{BINDING_HTTP_REDIRECT}" Location="{slo}"/>\n        '
        f'<md:SingleLogoutService Binding="{BINDING_HTTP_POST}" Location="{slo}"/>\n        '
    )
    return xml.replace("<md:NameIDFormat>", services + "<md:NameIDFormat>", 1)


class Participants:
    """Which SPs each person signed in to (by email), and the logouts the IdP started. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_person: dict[str, dict[str, Participation]] = {}
        self._started: dict[str, str] = {}  # our LogoutRequest ID -> SP entity ID

    def note(self, *, email: str, response_xml: str, sp_entity_id: str) -> None:
        """Remember the NameID and SessionIndex of a response just sent to an SP (an encrypted assertion
        cannot be read: then the person's email, and no SessionIndex, which ends all her sessions there)."""
        tree = etree.fromstring(response_xml.encode())
        name_id = tree.find(".//saml:Assertion/saml:Subject/saml:NameID", NS)
        statement = tree.find(".//saml:Assertion/saml:AuthnStatement", NS)
        entry = Participation(
            sp_entity_id=sp_entity_id,
            name_id=(name_id.text or "").strip() if name_id is not None else email,
            name_id_format=(name_id.get("Format") if name_id is not None else None) or NAMEID_FORMAT_EMAILADDRESS,
            session_index=statement.get("SessionIndex", "") if statement is not None else "",
        )
        with self._lock:
            self._by_person.setdefault(email.lower(), {})[sp_entity_id] = entry

    def of(self, email: str) -> list[Participation]:
        with self._lock:
            return list(self._by_person.get(email.lower(), {}).values())

    def forget(self, *, email: str, sp_entity_id: str | None = None) -> None:
        with self._lock:
            if sp_entity_id is None:
                self._by_person.pop(email.lower(), None)
            else:
                self._by_person.get(email.lower(), {}).pop(sp_entity_id, None)

    def started(self, request_id: str, sp_entity_id: str) -> None:
        with self._lock:
            self._started[request_id] = sp_entity_id

    def answered(self, request_id: str) -> str | None:
        """The SP a LogoutRequest of ours went to, once; None if unknown."""
        with self._lock:
            return self._started.pop(request_id, None)


# --- the SP, from its metadata ----------------------------------------------------------------


def sp_logout_learn(entity_id: str, *, fetch=spfetch.fetch_bytes) -> SPLogout:
    """The SP's signing certificates and SingleLogoutService, from the metadata at its entity ID."""
    xml = fetch(entity_id)
    info = spfetch.sp_metadata_parse(xml, url=entity_id)  # the same bounded, DOCTYPE-free parse
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(xml, parser)
    descriptor = root.find("md:SPSSODescriptor", NS)
    certificates = tuple(
        "".join((cert.text or "").split())
        for kd in descriptor.iterfind("md:KeyDescriptor", NS)
        if kd.get("use") in (None, "signing")
        for cert in kd.iterfind(".//ds:X509Certificate", NS)
    )
    if not certificates:
        raise LogoutError(MSG_NO_SP_CERT)
    services = {s.get("Binding"): s.get("Location") for s in descriptor.iterfind("md:SingleLogoutService", NS)}
    for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
        if services.get(binding):
            return SPLogout(entity_id, info.default_acs, binding, services[binding], certificates)
    raise LogoutError(MSG_NO_SP_SLO)


# --- reading and checking the SP's messages ---------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    field: str  # SAMLRequest or SAMLResponse
    binding: str
    xml: str
    tree: etree._Element
    params: dict[str, str]


def message_read(params: dict[str, str], *, binding: str) -> Incoming:
    fields = [name for name in ("SAMLRequest", "SAMLResponse") if params.get(name)]
    if len(fields) != 1:
        raise LogoutError(MSG_NO_MESSAGE)
    try:
        raw = base64.b64decode("".join(params[fields[0]].split()), validate=True)
        if binding == BINDING_HTTP_REDIRECT:
            inflater = zlib.decompressobj(-15)
            raw = inflater.decompress(raw, MAX_MESSAGE_BYTES)  # bounded: no deflate bombs
            if inflater.unconsumed_tail:
                raise LogoutError(MSG_ENCODING)
        if len(raw) > MAX_MESSAGE_BYTES or b"<!DOCTYPE" in raw.upper():
            raise LogoutError(MSG_ENCODING)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        tree = etree.fromstring(raw, parser)
    except (binascii.Error, ValueError, zlib.error, etree.XMLSyntaxError) as exc:
        if isinstance(exc, LogoutError):
            raise
        raise LogoutError(MSG_ENCODING) from exc
    expected = f"{{{NS['samlp']}}}{'LogoutRequest' if fields[0] == 'SAMLRequest' else 'LogoutResponse'}"
    if tree.tag != expected:
        raise LogoutError(MSG_NOT_LOGOUT)
    return Incoming(fields[0], binding, raw.decode("utf-8"), tree, params)


def issuer_of(incoming: Incoming) -> str:
    issuer = incoming.tree.find("saml:Issuer", NS)
    if issuer is None or not (issuer.text or "").strip():
        raise LogoutError(MSG_NO_ISSUER)
    return issuer.text.strip()


def signature_check(incoming: Incoming, *, sp: SPLogout, server) -> None:
    """The SP's signature (query signature, or enveloped over the whole message) with its published certificate."""
    if incoming.binding == BINDING_HTTP_REDIRECT:
        if not incoming.params.get("Signature") or not incoming.params.get("SigAlg"):
            raise LogoutError(MSG_UNSIGNED)
        for cert in sp.certificates_b64:
            try:
                if verify_redirect_signature(dict(incoming.params), server.sec.sec_backend, cert=cert):
                    return
            except (SigverError, ValueError, binascii.Error):
                continue
        raise LogoutError(MSG_BAD_SIGNATURE)
    signatures = incoming.tree.findall("ds:Signature", NS)
    if not signatures:
        raise LogoutError(MSG_UNSIGNED)
    reference = signatures[0].find("ds:SignedInfo/ds:Reference", NS)
    if len(signatures) != 1 or reference is None or reference.get("URI") != f"#{incoming.tree.get('ID')}":
        raise LogoutError(MSG_BAD_SIGNATURE)
    node = REQUEST_NODE if incoming.field == "SAMLRequest" else RESPONSE_NODE
    with tempfile.TemporaryDirectory() as workdir:
        for n, cert in enumerate(sp.certificates_b64):
            cert_file = Path(workdir) / f"sp-{n}.pem"
            lines = [cert[i : i + 64] for i in range(0, len(cert), 64)]
            cert_file.write_text("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n")
            try:
                if server.sec.verify_signature(
                    incoming.xml,
                    cert_file=str(cert_file),
                    cert_type="pem",
                    node_name=node,
                    node_id=incoming.tree.get("ID"),
                ):
                    return
            except SigverError:
                continue
    raise LogoutError(MSG_BAD_SIGNATURE)


def destination_check(incoming: Incoming, *, base_url: str) -> None:
    ours = f"{base_url}/slo"
    destination = incoming.tree.get("Destination")
    if destination != ours:
        raise LogoutError(MSG_DESTINATION.format(destination=destination, ours=ours))


# --- building our messages --------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def logout_request_xml(*, idp_entity_id: str, sp: SPLogout, participation: Participation) -> str:
    request = LogoutRequest(
        id=f"_devidp-logout-{secrets.token_hex(12)}",
        version="2.0",
        issue_instant=_now(),
        destination=sp.slo_url,
        issuer=Issuer(text=idp_entity_id),
        name_id=NameID(format=participation.name_id_format, text=participation.name_id),
        session_index=[SessionIndex(text=participation.session_index)] if participation.session_index else [],
    )
    return str(request)


def logout_response_xml(*, idp_entity_id: str, sp: SPLogout, in_response_to: str) -> str:
    response = LogoutResponse(
        id=f"_devidp-logout-response-{secrets.token_hex(12)}",
        version="2.0",
        issue_instant=_now(),
        destination=sp.slo_url,
        in_response_to=in_response_to,
        issuer=Issuer(text=idp_entity_id),
        status=Status(status_code=StatusCode(value=STATUS_SUCCESS)),
    )
    return str(response)


def send(xml: str, *, sp: SPLogout, server, keys: KeyFiles, relay_state: str = "") -> tuple[str, str]:
    """("redirect", URL) or ("post", page HTML): ``xml`` signed (RSA-SHA256) for the SP's SLO binding."""
    tree = etree.fromstring(xml.encode())
    response = tree.tag == f"{{{NS['samlp']}}}LogoutResponse"
    field = "SAMLResponse" if response else "SAMLRequest"
    try:
        if sp.slo_binding == BINDING_HTTP_REDIRECT:
            info = server.apply_binding(
                BINDING_HTTP_REDIRECT, xml, sp.slo_url, relay_state, response=response, sign=True, sigalg=SIG_RSA_SHA256
            )
            return "redirect", dict(info["headers"])["Location"]
        template = pre_signature_part(
            ident=tree.get("ID"), public_key=keys.cert_b64, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256
        )
        tree.find("saml:Issuer", NS).addnext(etree.fromstring(str(template).encode()))
        node = RESPONSE_NODE if response else REQUEST_NODE
        signed = server.sec.sign_statement(
            etree.tostring(tree).decode(), node, key_file=str(keys.key_file), node_id=tree.get("ID")
        )
    except SigverError as exc:
        raise LogoutError(MSG_SIGNING.format(detail=exc)) from exc
    encoded = base64.b64encode(signed.encode()).decode()
    return "post", autopost_page(url=sp.slo_url, field=field, value=encoded, relay_state=relay_state)


# --- pages --------------------------------------------------------------------------------------


def autopost_page(*, url: str, field: str, value: str, relay_state: str) -> str:
    relay = f'<input type="hidden" name="RelayState" value="{escape(relay_state)}">' if relay_state else ""
    return pages.layout(
        "Signing out",
        f"""<section class="card"><h1>Signing out…</h1>
<form method="post" action="{escape(url)}" id="saml-post">
<input type="hidden" name="{escape(field)}" value="{escape(value)}">{relay}
<p class="help">Posting the logout message to <span class="mono">{escape(url)}</span>.</p>
<noscript><button type="submit">Continue</button></noscript></form>
<script>document.getElementById("saml-post").submit()</script></section>""",
    )


def signed_out_page(*, sp_entity_id: str) -> str:
    return pages.layout(
        "Signed out",
        f"""<section class="card"><h1>Signed out</h1>
<p>You are signed out of the dev IdP and of <span class="mono">{escape(sp_entity_id)}</span> (Single Logout).</p>
<p><a href="/">Sign in to the dev IdP again</a></p></section>""",
    )


def sign_out_everywhere_form() -> str:
    """The Applications page's button for an IdP-initiated Single Logout."""
    return (
        '<form method="post" action="/slo/start"><button type="submit" class="secondary">'
        "Sign out everywhere (Single Logout)</button></form>"
    )
