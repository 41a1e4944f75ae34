"""Read and check the IdP's Single Logout messages for one group. No database.

python3-saml schema-checks LogoutRequest/LogoutResponse but verifies no signature itself
(``Auth.process_slo`` only does, and only for HTTP-Redirect), accepts a Destination that merely
starts with our URL, a missing Issuer, and any age. So this module verifies the signature of either
binding against the group's certificates only (never a certificate the message carries), and
requires an exact Destination, the group's Issuer and a recent IssueInstant, naming each refusal.
"""

import base64
import binascii
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import unquote_plus

import xmlsec
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.errors import OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError
from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request
from onelogin.saml2.logout_response import OneLogin_Saml2_Logout_Response
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML
from onelogin.saml2.xmlparser import DTDForbidden, EntitiesForbidden, NotSupportedError

from ssogroups.constants import BINDING_REDIRECT
from ssogroups.saml import reasons
from ssogroups.saml.acs import request_data_for, saml_time_parse
from ssogroups.saml.errors import SamlRejected
from ssogroups.saml.logout import REQUEST, RESPONSE, library_settings
from ssogroups.saml.response_parse import MAX_RESPONSE_BYTES

NS = C.NSMAP
# A logout message is a few hundred bytes; the ACS limit is ample, inflated or not.
MAX_MESSAGE_BYTES = MAX_RESPONSE_BYTES
# How long after its IssueInstant we still take a logout message: it is answered at once, by a
# browser the IdP has just redirected, so minutes are plenty; the replay record lives as long.
MAX_AGE = timedelta(minutes=5)
STRONG_ALGORITHMS = frozenset({C.RSA_SHA256, C.RSA_SHA384, C.RSA_SHA512})
STRONG_DIGESTS = frozenset({C.SHA256, C.SHA384, C.SHA512})
# What an enveloped signature over the whole message needs, and nothing that could select less of it.
PLAIN_TRANSFORMS = frozenset(
    {
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    }
)
_ROOTS = {REQUEST: f"{{{C.NS_SAMLP}}}LogoutRequest", RESPONSE: f"{{{C.NS_SAMLP}}}LogoutResponse"}
_DISPLAY_MAX = 300
V = OneLogin_Saml2_ValidationError
_LIBRARY_REASONS = {
    V.RESPONSE_EXPIRED: reasons.LOGOUT_EXPIRED,
    V.WRONG_DESTINATION: reasons.LOGOUT_WRONG_DESTINATION,
    V.WRONG_ISSUER: reasons.LOGOUT_WRONG_ISSUER,
    V.WRONG_INRESPONSETO: reasons.LOGOUT_UNKNOWN_REQUEST,
    V.NO_SIGNED_MESSAGE: reasons.LOGOUT_UNSIGNED,
}


@dataclass(frozen=True)
class Received:
    """A logout message as it arrived, decoded but not yet trusted."""

    field: str
    binding: str
    xml: bytes
    relay_state: str
    raw_query: dict[str, str]  # HTTP-Redirect: the parameters still URL-encoded, as signed


@dataclass(frozen=True)
class ValidatedLogoutRequest:
    message_id: str
    issuer: str
    name_id: str
    name_id_format: str
    session_indexes: tuple[str, ...]
    replay_until: datetime


@dataclass(frozen=True)
class ValidatedLogoutResponse:
    message_id: str
    issuer: str
    in_response_to: str
    status: str


def _raw_query(query_string: str) -> dict[str, str]:
    raw: dict[str, str] = {}
    for part in (query_string or "").split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if name in raw:  # which one was signed? Neither is taken.
            raise SamlRejected(reasons.LOGOUT_MALFORMED, f"the parameter {name[:40]!r} appears twice")
        raw[name] = value
    return raw


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj(-15)
    try:
        xml = inflater.decompress(data, MAX_MESSAGE_BYTES + 1)
    except zlib.error as exc:
        raise SamlRejected(reasons.LOGOUT_MALFORMED, f"not DEFLATE-compressed: {exc}") from exc
    if len(xml) > MAX_MESSAGE_BYTES or inflater.unconsumed_tail:
        raise SamlRejected(reasons.LOGOUT_OVERSIZE, "the inflated message is too large")
    return xml


def logout_message_read(*, binding: str, query_string: str = "", form=None) -> Received:
    """Decode the SAMLRequest or SAMLResponse of a GET (HTTP-Redirect) or POST (HTTP-POST)."""
    if binding == BINDING_REDIRECT:
        raw = _raw_query(query_string)
        params = {name: unquote_plus(value) for name, value in raw.items()}
    else:
        raw, params = {}, {name: form.get(name, "") for name in (REQUEST, RESPONSE, "RelayState") if name in form}
    fields = [name for name in (REQUEST, RESPONSE) if params.get(name)]
    if len(fields) != 1:
        raise SamlRejected(reasons.LOGOUT_MISSING, f"{len(fields)} of SAMLRequest/SAMLResponse")
    field = fields[0]
    encoded = "".join(params[field].split())
    if len(encoded) > MAX_MESSAGE_BYTES * 4 // 3 + 4:
        raise SamlRejected(reasons.LOGOUT_OVERSIZE, f"{len(encoded)} characters")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SamlRejected(reasons.LOGOUT_MALFORMED, f"not base64: {exc}") from exc
    xml = _inflate(data) if binding == BINDING_REDIRECT else data
    return Received(field, binding, xml, params.get("RelayState", "")[:80], raw)


def _parse(received: Received):
    try:
        document = OneLogin_Saml2_XML.to_etree(received.xml)
    except (DTDForbidden, EntitiesForbidden, NotSupportedError) as exc:
        raise SamlRejected(reasons.LOGOUT_MALFORMED, f"refused XML: {type(exc).__name__}") from exc
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise SamlRejected(reasons.LOGOUT_MALFORMED, str(exc)[:_DISPLAY_MAX]) from exc
    if document.tag != _ROOTS[received.field]:
        raise SamlRejected(reasons.LOGOUT_MALFORMED, f"{received.field} does not hold a {_ROOTS[received.field]}")
    return document


def _text(document, path: str) -> str:
    nodes = document.xpath(path, namespaces=NS)
    return "".join(nodes[0].itertext()).strip()[:1024] if len(nodes) == 1 else ""


def _redirect_signature_verify(received: Received, *, certificates: list[str], allow_sha1: bool) -> None:
    raw = received.raw_query
    if "Signature" not in raw or "SigAlg" not in raw:
        raise SamlRejected(reasons.LOGOUT_UNSIGNED, "no Signature/SigAlg query parameters")
    algorithm = unquote_plus(raw["SigAlg"])
    if algorithm not in STRONG_ALGORITHMS and not (allow_sha1 and algorithm == C.RSA_SHA1):
        raise SamlRejected(reasons.LOGOUT_DEPRECATED_ALGORITHM, f"SigAlg={algorithm[:_DISPLAY_MAX]!r}")
    signed = "&".join(f"{name}={raw[name]}" for name in (received.field, "RelayState", "SigAlg") if name in raw)
    try:
        signature = base64.b64decode(unquote_plus(raw["Signature"]), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SamlRejected(reasons.LOGOUT_BAD_SIGNATURE, "Signature is not base64") from exc
    for cert in certificates:
        if OneLogin_Saml2_Utils.validate_binary_sign(signed, signature, cert, algorithm):
            return
    raise SamlRejected(reasons.LOGOUT_BAD_SIGNATURE, f"{len(certificates)} certificate(s) tried")


def _post_signature_verify(document, *, certificates: list[str], allow_sha1: bool) -> None:
    signatures = document.xpath("ds:Signature", namespaces=NS)
    if not signatures:
        raise SamlRejected(reasons.LOGOUT_UNSIGNED, "no enveloped signature")
    root_id = document.get("ID") or ""
    references = document.xpath("ds:Signature/ds:SignedInfo/ds:Reference/@URI", namespaces=NS)
    same_id = document.xpath("//*[@ID=$id]", id=root_id)
    # Exactly one signature, over exactly this element, whose ID no other element shares (no wrapping).
    if len(signatures) != 1 or references != [f"#{root_id}"] or len(same_id) != 1:
        raise SamlRejected(reasons.LOGOUT_BAD_SIGNATURE, "the signature does not cover exactly the message")
    signature = signatures[0]
    methods = signature.xpath("ds:SignedInfo/ds:SignatureMethod/@Algorithm", namespaces=NS)
    digests = signature.xpath("ds:SignedInfo/ds:Reference/ds:DigestMethod/@Algorithm", namespaces=NS)
    weak = [a for a in methods if a not in STRONG_ALGORITHMS] + [d for d in digests if d not in STRONG_DIGESTS]
    if weak and not (allow_sha1 and set(weak) <= {C.RSA_SHA1, C.SHA1}):
        raise SamlRejected(reasons.LOGOUT_DEPRECATED_ALGORITHM, ", ".join(str(a)[:100] for a in weak))
    transforms = signature.xpath("ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform/@Algorithm", namespaces=NS)
    if set(transforms) - PLAIN_TRANSFORMS:  # e.g. an XPath transform that leaves parts of the message unsigned
        raise SamlRejected(reasons.LOGOUT_BAD_SIGNATURE, "the signature uses a transform other than c14n/enveloped")
    xmlsec.tree.add_ids(document, ["ID"])
    for cert in certificates:
        try:
            if OneLogin_Saml2_Utils.validate_node_sign(signature, document, cert, raise_exceptions=True):
                return
        except (OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError):
            continue
    raise SamlRejected(reasons.LOGOUT_BAD_SIGNATURE, f"{len(certificates)} certificate(s) tried")


def _checks(
    received: Received, *, settings: dict, certificates: list[str], slo_url: str, allow_sha1: bool
) -> tuple[etree._Element, str]:
    """Parse, verify the signature, then Destination and Issuer; the document and its Issuer."""
    document = _parse(received)
    issuer = _text(document, "saml:Issuer")

    def reject(reason: reasons.Reason, detail: str = "") -> SamlRejected:
        name_id = _text(document, "saml:NameID")
        return SamlRejected(reason, detail, issuer=issuer, name_id=name_id)

    try:
        if received.binding == BINDING_REDIRECT:
            _redirect_signature_verify(received, certificates=certificates, allow_sha1=allow_sha1)
        else:
            _post_signature_verify(document, certificates=certificates, allow_sha1=allow_sha1)
    except SamlRejected as exc:
        raise reject(exc.reason, exc.detail) from exc
    destination = document.get("Destination")
    if destination != slo_url:  # signed messages must name it (SAML bindings 3.4.5.2, 3.5.5.2): exactly ours
        raise reject(reasons.LOGOUT_WRONG_DESTINATION, f"Destination={str(destination)[:_DISPLAY_MAX]!r}")
    expected = settings["idp"]["entityId"]
    if not expected or issuer != expected:
        raise reject(reasons.LOGOUT_WRONG_ISSUER, f"Issuer={issuer[:_DISPLAY_MAX]!r}")
    return document, issuer


def _library_check(message, *, slo_url: str, issuer: str) -> None:
    """python3-saml's own strict checks (schema first); signature presence was verified above."""
    request_data = request_data_for(slo_url) | {"get_data": {"Signature": "verified above"}}
    try:
        message.is_valid(request_data, raise_exceptions=True)
    except OneLogin_Saml2_ValidationError as exc:
        raise SamlRejected(_LIBRARY_REASONS.get(exc.code, reasons.LOGOUT_MALFORMED), str(exc), issuer=issuer) from exc
    except OneLogin_Saml2_Error as exc:
        raise SamlRejected(reasons.LOGOUT_MALFORMED, str(exc), issuer=issuer) from exc


def _issued_recently(document, *, now: datetime, clock_skew: timedelta, issuer: str) -> datetime:
    """The time until which the message is acceptable (and its replay record must live)."""
    issued = saml_time_parse(document.get("IssueInstant") or "")
    if issued is None:
        raise SamlRejected(reasons.LOGOUT_MALFORMED, "IssueInstant is missing or not SAML UTC time", issuer=issuer)
    if issued > now + clock_skew:
        raise SamlRejected(reasons.LOGOUT_NOT_YET_VALID, f"IssueInstant {issued:%Y-%m-%dT%H:%M:%SZ}", issuer=issuer)
    until = issued + MAX_AGE
    if document.get("NotOnOrAfter") is not None:
        not_after = saml_time_parse(document.get("NotOnOrAfter"))
        if not_after is None:
            raise SamlRejected(reasons.LOGOUT_MALFORMED, "NotOnOrAfter is not SAML UTC time", issuer=issuer)
        until = min(until, not_after)
    if until + clock_skew <= now:
        raise SamlRejected(reasons.LOGOUT_EXPIRED, f"valid until {until:%Y-%m-%dT%H:%M:%SZ}", issuer=issuer)
    return until + clock_skew


def logout_request_validate(
    received: Received,
    *,
    settings: dict,
    certificates: list[str],
    slo_url: str,
    allow_sha1: bool,
    now: datetime,
    clock_skew: timedelta,
) -> ValidatedLogoutRequest:
    """An IdP's LogoutRequest, signed by one of ``certificates``, to ``slo_url``, recent; or SamlRejected."""
    document, issuer = _checks(
        received, settings=settings, certificates=certificates, slo_url=slo_url, allow_sha1=allow_sha1
    )
    name_id = _text(document, "saml:NameID")
    until = _issued_recently(document, now=now, clock_skew=clock_skew, issuer=issuer)
    library = OneLogin_Saml2_Logout_Request(
        library_settings(settings), OneLogin_Saml2_Utils.deflate_and_base64_encode(received.xml)
    )
    _library_check(library, slo_url=slo_url, issuer=issuer)
    if document.xpath("saml:EncryptedID", namespaces=NS):
        raise SamlRejected(reasons.LOGOUT_MALFORMED, "an encrypted NameID is not supported", issuer=issuer)
    if not name_id:
        raise SamlRejected(reasons.LOGOUT_MALFORMED, "no NameID", issuer=issuer)
    formats = document.xpath("saml:NameID/@Format", namespaces=NS)
    return ValidatedLogoutRequest(
        message_id=document.get("ID") or "",
        issuer=issuer,
        name_id=name_id,
        name_id_format=str(formats[0]) if formats else "",
        session_indexes=tuple(
            "".join(node.itertext()).strip() for node in document.xpath("samlp:SessionIndex", namespaces=NS)
        ),
        replay_until=until,
    )


def logout_response_validate(
    received: Received,
    *,
    settings: dict,
    certificates: list[str],
    slo_url: str,
    allow_sha1: bool,
    now: datetime,
    clock_skew: timedelta,
) -> ValidatedLogoutResponse:
    """The IdP's signed LogoutResponse to one of our requests; InResponseTo is matched by the caller."""
    document, issuer = _checks(
        received, settings=settings, certificates=certificates, slo_url=slo_url, allow_sha1=allow_sha1
    )
    _issued_recently(document, now=now, clock_skew=clock_skew, issuer=issuer)
    library = OneLogin_Saml2_Logout_Response(
        library_settings(settings), OneLogin_Saml2_Utils.deflate_and_base64_encode(received.xml)
    )
    _library_check(library, slo_url=slo_url, issuer=issuer)
    in_response_to = document.get("InResponseTo") or ""
    if not in_response_to:
        raise SamlRejected(reasons.LOGOUT_UNKNOWN_REQUEST, "no InResponseTo", issuer=issuer)
    return ValidatedLogoutResponse(
        message_id=document.get("ID") or "",
        issuer=issuer,
        in_response_to=in_response_to,
        status=library.get_status() or "",
    )
