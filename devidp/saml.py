"""SAML for the dev IdP, on pysaml2: its metadata, reading AuthnRequests, building signed responses.

Responses are built by pysaml2 and signed by it through the xmlsec1 program. A "broken" response
is changed *before* signing (expired, wrong audience, unknown user) so that only the intended
check fails at the SP; "bad signature" is signed with a key the SP does not know.
"""

import base64
import binascii
import datetime as dt
import secrets
import zlib
from dataclasses import dataclass
from html import escape
from pathlib import Path

from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.s_utils import UnknownPrincipal, UnsupportedBinding
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.samlp import authn_request_from_string
from saml2.server import Server
from saml2.sigver import SigverError, pre_signature_part
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from devidp import encrypt
from devidp.keys import KeyFiles

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
}
ASSERTION_NODE = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
RESPONSE_NODE = "urn:oasis:names:tc:SAML:2.0:protocol:Response"
MAPS_DIR = Path(__file__).parent / "maps"
MAX_REQUEST_BYTES = 64 * 1024
PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"

SIGN_CHOICES = {"assertion": "Sign the assertion", "response": "Sign the response", "both": "Sign both"}
BREAK_CHOICES = {
    "": "Send a valid response",
    "expired": "Expired (dated an hour ago)",
    "wrong_audience": "Wrong audience",
    "bad_signature": "Bad signature (signed with a key the SP does not know)",
    "unknown_user": "Unknown user",
}
WRONG_AUDIENCE = "https://wrong-audience.devidp.invalid/metadata"
UNKNOWN_USER_DOMAIN = "unknown.devidp.invalid"

MSG_REQUEST_ENCODING = "The SAMLRequest is not valid base64 (or deflate, for HTTP-Redirect)."
MSG_REQUEST_XML = "The SAMLRequest is not a SAML AuthnRequest."
MSG_REQUEST_ISSUER = "The AuthnRequest names no Issuer, so the IdP cannot tell which SP sent it."
MSG_REQUEST_BINDING = "The AuthnRequest asks for the {binding} binding; this IdP answers with HTTP-POST only."


class SigningError(RuntimeError):
    """xmlsec1 could not sign (e.g. the program is missing)."""


class RequestError(ValueError):
    """An AuthnRequest the IdP cannot answer; the message is shown on its error page."""


@dataclass(frozen=True)
class AuthnRequest:
    id: str
    issuer: str
    acs_url: str | None
    acs_index: str | None


def idp_metadata_xml(*, base_url: str, keys: KeyFiles) -> str:
    """IdP metadata in the layout of JumpCloud's export: one signing certificate, email NameID,
    the SSO service on HTTP-POST and HTTP-Redirect."""
    sso = escape(f"{base_url}/sso")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{escape(base_url)}/metadata">
    <md:IDPSSODescriptor WantAuthnRequestsSigned="false"
                         protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
        <md:KeyDescriptor use="signing">
            <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
                <ds:X509Data>
                    <ds:X509Certificate>{keys.cert_b64}</ds:X509Certificate>
                </ds:X509Data>
            </ds:KeyInfo>
        </md:KeyDescriptor>
        <md:NameIDFormat>{NAMEID_FORMAT_EMAILADDRESS}</md:NameIDFormat>
        <md:SingleSignOnService Binding="{BINDING_HTTP_POST}"
                                Location="{sso}"/>
        <md:SingleSignOnService Binding="{BINDING_HTTP_REDIRECT}"
                                Location="{sso}"/>
    </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


def authn_request_decode(saml_request: str, *, binding: str) -> AuthnRequest:
    """Decode (HTTP-Redirect: base64 + raw deflate; HTTP-POST: base64) and read the request."""
    try:
        raw = base64.b64decode("".join(saml_request.split()), validate=True)
        if binding == BINDING_HTTP_REDIRECT:
            inflater = zlib.decompressobj(-15)
            raw = inflater.decompress(raw, MAX_REQUEST_BYTES)  # bounded: no deflate bombs
            if inflater.unconsumed_tail:
                raise RequestError(MSG_REQUEST_ENCODING)
    except (binascii.Error, ValueError, zlib.error) as exc:
        raise RequestError(MSG_REQUEST_ENCODING) from exc
    if len(raw) > MAX_REQUEST_BYTES or b"<!DOCTYPE" in raw.upper():
        raise RequestError(MSG_REQUEST_XML)
    try:
        # pysaml2 parses through defusedxml: ParseError is a SyntaxError, DTD/entity refusals ValueErrors.
        request = authn_request_from_string(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, SyntaxError) as exc:
        raise RequestError(MSG_REQUEST_XML) from exc
    if request is None or not request.id:
        raise RequestError(MSG_REQUEST_XML)
    if request.issuer is None or not (request.issuer.text or "").strip():
        raise RequestError(MSG_REQUEST_ISSUER)
    if request.protocol_binding and request.protocol_binding != BINDING_HTTP_POST:
        raise RequestError(MSG_REQUEST_BINDING.format(binding=request.protocol_binding))
    index = request.assertion_consumer_service_index
    return AuthnRequest(
        id=request.id,
        issuer=request.issuer.text.strip(),
        acs_url=request.assertion_consumer_service_url,
        acs_index=str(index) if index is not None else None,
    )


@dataclass(frozen=True)
class Person:
    email: str
    first_name: str = ""
    last_name: str = ""


def _sp_metadata(entity_id: str, acs_url: str) -> str:
    """What pysaml2 needs to know about the SP, rebuilt from the values we checked (never its raw XML)."""
    return (
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{escape(entity_id)}">'
        '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"<md:NameIDFormat>{NAMEID_FORMAT_EMAILADDRESS}</md:NameIDFormat>"
        f'<md:AssertionConsumerService Binding="{BINDING_HTTP_POST}" Location="{escape(acs_url)}" index="0"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    )


def _server(*, base_url: str, keys: KeyFiles, entity_id: str, acs_url: str) -> Server:
    config = IdPConfig()
    config.load(
        {
            "entityid": f"{base_url}/metadata",
            "key_file": str(keys.key_file),
            "cert_file": str(keys.cert_file),
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "attribute_map_dir": str(MAPS_DIR),
            "metadata": {"inline": [_sp_metadata(entity_id, acs_url)]},
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [
                            (f"{base_url}/sso", BINDING_HTTP_REDIRECT),
                            (f"{base_url}/sso", BINDING_HTTP_POST),
                        ]
                    },
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 5},
                            "attribute_restrictions": None,
                            "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
                        }
                    },
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                }
            },
        }
    )
    return Server(config=config)


def _saml_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _backdate(tree: etree._Element, hours: int = 1) -> None:
    """Date every timestamp an hour earlier: the assertion's validity window is over."""
    shift = dt.timedelta(hours=hours)
    for element in tree.iter():
        for name in ("IssueInstant", "AuthnInstant", "NotBefore", "NotOnOrAfter"):
            value = element.get(name)
            if value:
                moment = dt.datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
                element.set(name, _saml_time(moment - shift))


def _insert_signature_template(element: etree._Element, cert_b64: str) -> None:
    template = pre_signature_part(
        ident=element.get("ID"), public_key=cert_b64, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256
    )
    element.find("saml:Issuer", NS).addnext(etree.fromstring(str(template).encode()))


def response_build(
    *,
    base_url: str,
    keys: KeyFiles,
    rogue_keys: KeyFiles,
    sp_entity_id: str,
    acs_url: str,
    person: Person,
    in_response_to: str | None,
    sign: str = "assertion",
    breakage: str = "",
    encrypt_to: str = "",
) -> str:
    """The XML of a SAML Response for ``person``, signed as ``sign`` says, broken as ``breakage`` says;
    with ``encrypt_to`` (the SP's certificate) the signed assertion is encrypted before the Response is signed."""
    if sign not in SIGN_CHOICES or breakage not in BREAK_CHOICES:
        raise ValueError(f"unknown option sign={sign!r} breakage={breakage!r}")
    email = person.email
    if breakage == "unknown_user":
        email = f"nobody-{secrets.token_hex(4)}@{UNKNOWN_USER_DOMAIN}"
    attributes = {"email": [email]}
    if person.first_name and breakage != "unknown_user":
        attributes["firstName"] = [person.first_name]
    if person.last_name and breakage != "unknown_user":
        attributes["lastName"] = [person.last_name]
    server = _server(base_url=base_url, keys=keys, entity_id=sp_entity_id, acs_url=acs_url)
    try:
        unsigned = server.create_authn_response(
            identity=attributes,
            in_response_to=in_response_to,
            destination=acs_url,
            sp_entity_id=sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            sign_assertion=False,
            sign_response=False,
            authn={"class_ref": PASSWORD_PROTECTED},
        )
    except (UnknownPrincipal, UnsupportedBinding) as exc:  # cannot happen with the metadata built above
        raise ValueError(str(exc)) from exc
    tree = etree.fromstring(str(unsigned).encode())
    if breakage == "expired":
        _backdate(tree)
    elif breakage == "wrong_audience":
        for audience in tree.iterfind(".//saml:Audience", NS):
            audience.text = WRONG_AUDIENCE
    signer = rogue_keys if breakage == "bad_signature" else keys
    assertion = tree.find("saml:Assertion", NS)
    if sign in ("assertion", "both"):
        _insert_signature_template(assertion, signer.cert_b64)
    if sign in ("response", "both"):
        _insert_signature_template(tree, signer.cert_b64)
    xml = etree.tostring(tree).decode()
    try:
        if sign in ("assertion", "both"):
            xml = server.sec.sign_statement(
                xml, ASSERTION_NODE, key_file=str(signer.key_file), node_id=assertion.get("ID")
            )
        if encrypt_to:
            xml = encrypt.assertion_encrypt(xml, encrypt_to)
        if sign in ("response", "both"):
            xml = server.sec.sign_statement(xml, RESPONSE_NODE, key_file=str(signer.key_file), node_id=tree.get("ID"))
    except SigverError as exc:
        raise SigningError(str(exc)) from exc
    return xml
