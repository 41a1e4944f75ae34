"""Validate a posted SAMLResponse for one group: python3-saml in strict mode, plus the checks it lacks.

No database here. python3-saml checks schema, status, signatures (against the group's
certificates only), audience, issuer and time windows; we add what it leaves loose: Destination
and Recipient equal to our ACS *exactly* (it only checks a prefix / a substring), a bounded clock
skew from settings, a mandatory NotOnOrAfter (so replay records can expire), consistent
InResponseTo, and that a verified signature covers the assertion we use. An EncryptedAssertion is
decrypted first (ssogroups.saml.decryption), then faces exactly the same checks.
"""

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.errors import OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError

from ssogroups.saml import reasons
from ssogroups.saml.decryption import NOT_AN_ASSERTION
from ssogroups.saml.errors import SamlRejected
from ssogroups.saml.response_parse import KeySource, decode, response_parse

NS = C.NSMAP
_TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z$")
_TIME_ATTRIBUTES = ("IssueInstant", "NotBefore", "NotOnOrAfter", "SessionNotOnOrAfter", "AuthnInstant")
_DISPLAY_MAX = 300

# The checks in the order validate_response makes them; the sign-in trace shows each one's result.
CHECKS = (
    "SAMLResponse decoded and parsed; the group has a signing certificate",
    "Well-formed: a samlp:Response, SAML UTC timestamps",
    "python3-saml strict: schema, status, signature, issuer, audience, conditions, subject",
    "A verified signature covers the assertion",
    "Destination and Recipient are this group's ACS",
    "Within the validity window (NotBefore, NotOnOrAfter, clock skew)",
    "InResponseTo consistent",
)

V = OneLogin_Saml2_ValidationError
_LIBRARY_REASONS = {
    V.UNSUPPORTED_SAML_VERSION: reasons.INVALID_RESPONSE,
    V.MISSING_ID: reasons.INVALID_RESPONSE,
    V.WRONG_NUMBER_OF_ASSERTIONS: reasons.SIGNATURE_STRUCTURE,
    V.MISSING_STATUS: reasons.INVALID_RESPONSE,
    V.MISSING_STATUS_CODE: reasons.INVALID_RESPONSE,
    V.STATUS_CODE_IS_NOT_SUCCESS: reasons.IDP_ERROR_STATUS,
    V.WRONG_SIGNED_ELEMENT: reasons.SIGNATURE_STRUCTURE,
    V.ID_NOT_FOUND_IN_SIGNED_ELEMENT: reasons.SIGNATURE_STRUCTURE,
    V.DUPLICATED_ID_IN_SIGNED_ELEMENTS: reasons.SIGNATURE_STRUCTURE,
    V.INVALID_SIGNED_ELEMENT: reasons.SIGNATURE_STRUCTURE,
    V.DUPLICATED_REFERENCE_IN_SIGNED_ELEMENTS: reasons.SIGNATURE_STRUCTURE,
    V.UNEXPECTED_SIGNED_ELEMENTS: reasons.SIGNATURE_STRUCTURE,
    V.WRONG_NUMBER_OF_SIGNATURES_IN_RESPONSE: reasons.SIGNATURE_STRUCTURE,
    V.WRONG_NUMBER_OF_SIGNATURES_IN_ASSERTION: reasons.SIGNATURE_STRUCTURE,
    V.WRONG_NUMBER_OF_SIGNATURES: reasons.SIGNATURE_STRUCTURE,
    V.INVALID_XML_FORMAT: reasons.INVALID_RESPONSE,
    V.WRONG_INRESPONSETO: reasons.IN_RESPONSE_TO_MISMATCH,
    V.NO_ENCRYPTED_ASSERTION: reasons.ENCRYPTION_REQUIRED,
    V.NO_ENCRYPTED_NAMEID: reasons.ENCRYPTED_UNSUPPORTED,
    V.MISSING_CONDITIONS: reasons.INVALID_RESPONSE,
    V.ASSERTION_TOO_EARLY: reasons.NOT_YET_VALID,
    V.ASSERTION_EXPIRED: reasons.EXPIRED,
    V.WRONG_NUMBER_OF_AUTHSTATEMENTS: reasons.INVALID_RESPONSE,
    V.NO_ATTRIBUTESTATEMENT: reasons.INVALID_RESPONSE,
    V.ENCRYPTED_ATTRIBUTES: reasons.ENCRYPTED_UNSUPPORTED,
    V.WRONG_DESTINATION: reasons.WRONG_DESTINATION,
    V.EMPTY_DESTINATION: reasons.WRONG_DESTINATION,
    V.WRONG_AUDIENCE: reasons.WRONG_AUDIENCE,
    V.ISSUER_MULTIPLE_IN_RESPONSE: reasons.WRONG_ISSUER,
    V.ISSUER_NOT_FOUND_IN_ASSERTION: reasons.WRONG_ISSUER,
    V.WRONG_ISSUER: reasons.WRONG_ISSUER,
    V.SESSION_EXPIRED: reasons.EXPIRED,
    V.WRONG_SUBJECTCONFIRMATION: reasons.SUBJECT_CONFIRMATION,
    V.NO_SIGNED_MESSAGE: reasons.SIGNATURE_MISSING_REQUIRED,
    V.NO_SIGNED_ASSERTION: reasons.SIGNATURE_MISSING_REQUIRED,
    V.NO_SIGNATURE_FOUND: reasons.UNSIGNED,
    V.KEYINFO_NOT_FOUND_IN_ENCRYPTED_DATA: reasons.ENCRYPTED_UNSUPPORTED,
    V.CHILDREN_NODE_NOT_FOUND_IN_KEYINFO: reasons.ENCRYPTED_UNSUPPORTED,
    V.UNSUPPORTED_RETRIEVAL_METHOD: reasons.ENCRYPTED_UNSUPPORTED,
    V.NO_NAMEID: reasons.NO_NAME_ID,
    V.EMPTY_NAMEID: reasons.NO_NAME_ID,
    V.SP_NAME_QUALIFIER_NAME_MISMATCH: reasons.WRONG_AUDIENCE,
    V.DUPLICATED_ATTRIBUTE_NAME_FOUND: reasons.INVALID_RESPONSE,
    V.INVALID_SIGNATURE: reasons.BAD_SIGNATURE,
    V.RESPONSE_EXPIRED: reasons.EXPIRED,
    V.AUTHN_CONTEXT_MISMATCH: reasons.INVALID_RESPONSE,
    V.DEPRECATED_SIGNATURE_METHOD: reasons.DEPRECATED_ALGORITHM,
    V.DEPRECATED_DIGEST_METHOD: reasons.DEPRECATED_ALGORITHM,
}


@dataclass(frozen=True)
class ValidatedAssertion:
    assertion_id: str
    issuer: str
    name_id: str
    name_id_format: str
    attributes: dict[str, list[str]] = field(default_factory=dict)
    in_response_to: str | None = None
    # Until when our checks would accept this assertion: the replay record must live that long.
    replay_until: datetime | None = None
    session_not_on_or_after: datetime | None = None
    signed_response: bool = False
    signed_assertion: bool = False
    # When the IdP says the user authenticated (the signed assertion's AuthnStatement/@AuthnInstant).
    authn_instant: datetime | None = None
    # The assertion arrived as an EncryptedAssertion (and was decrypted with one of our SP keys).
    encrypted: bool = False
    # What Single Logout repeats and matches (ssogroups.saml.logout): the NameID's qualifiers, SessionIndex.
    name_qualifier: str = ""
    sp_name_qualifier: str = ""
    session_index: str = ""
    checks: tuple[str, ...] = ()  # CHECKS passed, in order (all of them)


def saml_time_parse(value: str) -> datetime | None:
    """A SAML xs:dateTime in UTC ('Z'), fractions dropped; None if it is anything else."""
    match = _TIME_RE.match(value or "")
    if not match:
        return None
    try:
        return datetime(*(int(g) for g in match.groups()), tzinfo=UTC)
    except ValueError:
        return None


def request_data_for(acs_url: str) -> dict:
    """python3-saml's view of "the current URL": always our ACS from BASE_URL, never the Host header."""
    parts = urlsplit(acs_url)
    return {
        "https": "on" if parts.scheme == "https" else "off",
        "http_host": parts.netloc,
        "script_name": "",
        "path_info": parts.path,
        "get_data": {},
        "post_data": {},
    }


def _text(nodes: list) -> str:
    for node in nodes:
        text = "".join(node.itertext()).strip() if hasattr(node, "itertext") else ""
        if text:
            return text[:_DISPLAY_MAX]
    return ""


def _claims(document) -> tuple[str, str, str]:
    """Issuer, NameID and its Format as the document claims them: shown to the admin, never trusted."""
    issuer = _text(document.xpath("/samlp:Response/saml:Issuer", namespaces=NS)) or _text(
        document.xpath("/samlp:Response/saml:Assertion/saml:Issuer", namespaces=NS)
    )
    name_id = _text(document.xpath("//saml:Assertion/saml:Subject/saml:NameID", namespaces=NS))
    formats = document.xpath("//saml:Assertion/saml:Subject/saml:NameID/@Format", namespaces=NS)
    return issuer, name_id, str(formats[0])[:_DISPLAY_MAX] if formats else ""


def _times_check_format(document) -> None:
    for name in _TIME_ATTRIBUTES:
        for value in document.xpath(f"//@{name}"):
            if saml_time_parse(str(value)) is None:
                raise SamlRejected(reasons.BAD_TIMESTAMP, f"{name}={str(value)[:40]!r}")


def _signed(node, node_id: str | None) -> bool:
    """``node`` has a direct ds:Signature whose one Reference points at its own ID."""
    if not node_id:
        return False
    refs = node.xpath("ds:Signature/ds:SignedInfo/ds:Reference/@URI", namespaces=NS)
    return len(refs) == 1 and refs[0] == f"#{node_id}"


def _subject_confirmation_diagnose(document, *, acs_url: str, now: datetime) -> reasons.Reason:
    """Name the likelier cause when python3-saml finds no valid bearer confirmation (admin detail only)."""
    scds = document.xpath(
        "//saml:Assertion/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", namespaces=NS
    )
    if scds and all(scd.get("Recipient") != acs_url for scd in scds):
        return reasons.WRONG_RECIPIENT
    ends = [saml_time_parse(scd.get("NotOnOrAfter", "")) for scd in scds]
    if scds and all(end is not None and end <= now for end in ends):
        return reasons.EXPIRED
    return reasons.SUBJECT_CONFIRMATION


def _audience_detail(document, *, ours: str) -> str:
    """What the assertion was addressed to, next to what this group is (the admin's detail)."""
    sent = [
        "".join(node.itertext()).strip()[:_DISPLAY_MAX]
        for node in document.xpath(
            "//saml:Assertion/saml:Conditions/saml:AudienceRestriction/saml:Audience", namespaces=NS
        )
    ]
    return reasons.WRONG_AUDIENCE_DETAIL.format(sent=", ".join(sent) or reasons.WRONG_AUDIENCE_NONE, ours=ours)


def validate_response(
    *,
    saml_response: str,
    settings: dict,
    acs_url: str,
    now: datetime,
    clock_skew: timedelta,
    decryption_keys: KeySource = None,
    require_encrypted: bool = False,
) -> ValidatedAssertion:
    """Validate or raise SamlRejected. ``settings`` comes from config.saml_settings_build.

    With an empty IdP entity ID the response's own Issuer is expected (the caller pins it).
    ``decryption_keys`` returns our SP private keys to try on an EncryptedAssertion (None: refuse
    encrypted ones); ``require_encrypted`` refuses a plain assertion (the group's policy). The
    CHECKS passed ride on the result, or on the rejection (``checks``: the next one failed).
    """
    passed: list[str] = []
    try:
        validated = _validate(
            passed,
            saml_response,
            settings,
            acs_url=acs_url,
            now=now,
            clock_skew=clock_skew,
            decryption_keys=decryption_keys,
            require_encrypted=require_encrypted,
        )
    except SamlRejected as rejected:
        rejected.checks = tuple(passed)
        raise
    return replace(validated, checks=tuple(passed))


def _validate(
    passed: list[str],
    saml_response: str,
    settings: dict,
    *,
    acs_url: str,
    now: datetime,
    clock_skew: timedelta,
    decryption_keys: KeySource,
    require_encrypted: bool,
) -> ValidatedAssertion:
    encoded = decode(saml_response)
    if not settings["idp"]["x509certMulti"]["signing"]:
        raise SamlRejected(reasons.GROUP_MISCONFIGURED, "no IdP signing certificate")
    response = response_parse(settings, encoded, decryption_keys)
    # The decrypted copy when encrypted: every check below reads the assertion we will use.
    document = response.get_xml_document()
    issuer, claimed_name_id, claimed_format = _claims(document)
    if not settings["idp"]["entityId"]:
        # Issuer pinning (no entity ID configured yet): expect exactly the Issuer this response
        # claims. python3-saml then requires every Issuer to equal it and the signature to verify
        # against the group's own certificates, so only a response the IdP signed can be pinned.
        if not issuer:
            raise SamlRejected(reasons.WRONG_ISSUER, "no Issuer to pin", name_id=claimed_name_id)
        settings = {**settings, "idp": {**settings["idp"], "entityId": issuer}}
        response = response_parse(settings, encoded, decryption_keys)
        document = response.get_xml_document()
    encrypted = bool(response.encrypted)

    def reject(reason: reasons.Reason, detail: str = "") -> SamlRejected:
        return SamlRejected(reason, detail, issuer=issuer, name_id=claimed_name_id, name_id_format=claimed_format)

    passed.append(CHECKS[0])
    if document.tag != f"{{{C.NS_SAMLP}}}Response":
        raise reject(reasons.INVALID_RESPONSE, "root element is not samlp:Response")
    if encrypted and not document.xpath("saml:Assertion", namespaces=NS):
        # Decrypted to something else (text, another element): the same answer as any failed
        # decryption, or it would tell a CBC padding oracle which guesses parsed (decryption.py).
        raise reject(reasons.DECRYPTION_FAILED, NOT_AN_ASSERTION)
    if require_encrypted and not encrypted:
        raise reject(reasons.ENCRYPTION_REQUIRED)
    if document.xpath("saml:Assertion/saml:Subject/saml:EncryptedID", namespaces=NS):
        # python3-saml would decrypt it with the settings' key, and fails with a TypeError without one.
        raise reject(reasons.ENCRYPTED_UNSUPPORTED, "an EncryptedID (encrypted NameID): encrypt the whole assertion")
    _times_check_format(document)
    passed.append(CHECKS[1])

    try:
        response.is_valid(request_data_for(acs_url), raise_exceptions=True)
        name_id_data = response.get_nameid_data()
        attributes = response.get_attributes()
        assertion_id = response.get_assertion_id()
    except OneLogin_Saml2_ValidationError as exc:
        reason = _LIBRARY_REASONS.get(exc.code, reasons.INVALID_RESPONSE)
        if exc.code == V.WRONG_NUMBER_OF_ASSERTIONS and not document.xpath("//saml:Assertion", namespaces=NS):
            reason = reasons.INVALID_RESPONSE  # none at all: malformed, not a wrapping attempt
        elif exc.code == V.NO_SIGNATURE_FOUND and encrypted:
            reason = reasons.ENCRYPTED_UNSIGNED  # anyone can encrypt to our public certificate
        elif exc.code == V.WRONG_SUBJECTCONFIRMATION:
            reason = _subject_confirmation_diagnose(document, acs_url=acs_url, now=now)
        elif exc.code == V.WRONG_AUDIENCE:
            raise reject(reason, _audience_detail(document, ours=settings["sp"]["entityId"])) from exc
        raise reject(reason, str(exc)) from exc
    except OneLogin_Saml2_Error as exc:
        raise reject(reasons.INVALID_RESPONSE, str(exc)) from exc

    passed.append(CHECKS[2])
    # python3-saml found exactly one assertion in the document and verified every signature;
    # make sure that assertion sits directly in the Response and a signature covers it.
    assertions = document.xpath("saml:Assertion", namespaces=NS)
    if len(assertions) != 1:
        raise reject(reasons.SIGNATURE_STRUCTURE, "the assertion is not a direct child of the Response")
    assertion = assertions[0]
    signed_response = _signed(document, document.get("ID"))
    signed_assertion = _signed(assertion, assertion.get("ID"))
    if not (signed_response or signed_assertion) or assertion.get("ID") != assertion_id:
        raise reject(reasons.SIGNATURE_STRUCTURE, "no verified signature covers the assertion")

    passed.append(CHECKS[3])
    destination = document.get("Destination")
    if destination is not None and destination != acs_url:
        raise reject(reasons.WRONG_DESTINATION, f"Destination={destination[:_DISPLAY_MAX]!r}")

    confirmations = [
        scd
        for sc in assertion.xpath("saml:Subject/saml:SubjectConfirmation", namespaces=NS)
        if sc.get("Method") == C.CM_BEARER
        for scd in sc.xpath("saml:SubjectConfirmationData", namespaces=NS)
    ]
    if not confirmations:
        raise reject(reasons.SUBJECT_CONFIRMATION, "no bearer SubjectConfirmationData")
    for scd in confirmations:
        if scd.get("Recipient") != acs_url:
            raise reject(reasons.WRONG_RECIPIENT, f"Recipient={str(scd.get('Recipient'))[:_DISPLAY_MAX]!r}")

    passed.append(CHECKS[4])
    not_before = [saml_time_parse(v) for v in assertion.xpath("saml:Conditions/@NotBefore", namespaces=NS)]
    not_after = [
        saml_time_parse(v)
        for v in assertion.xpath("saml:Conditions/@NotOnOrAfter", namespaces=NS)
        + [scd.get("NotOnOrAfter") for scd in confirmations if scd.get("NotOnOrAfter")]
    ]
    if any(nb > now + clock_skew for nb in not_before):
        raise reject(reasons.NOT_YET_VALID, f"NotBefore {min(not_before):%Y-%m-%dT%H:%M:%SZ}")
    if not not_after:
        raise reject(reasons.NO_VALIDITY_WINDOW)
    valid_until = min(not_after) + clock_skew
    if valid_until <= now:
        raise reject(reasons.EXPIRED, f"NotOnOrAfter {min(not_after):%Y-%m-%dT%H:%M:%SZ}")

    passed.append(CHECKS[5])
    in_response_to = {document.get("InResponseTo")} | {scd.get("InResponseTo") for scd in confirmations}
    in_response_to.discard(None)
    if len(in_response_to) > 1:
        raise reject(reasons.IN_RESPONSE_TO_MISMATCH, ", ".join(sorted(v[:80] for v in in_response_to)))

    passed.append(CHECKS[6])
    session_end = response.get_session_not_on_or_after()
    # Read from the assertion a verified signature covers (checked above), never from elsewhere.
    instants = assertion.xpath("saml:AuthnStatement/@AuthnInstant", namespaces=NS)
    return ValidatedAssertion(
        assertion_id=assertion_id,
        issuer=issuer,
        name_id=(name_id_data.get("Value") or "").strip(),
        name_id_format=name_id_data.get("Format") or "",
        attributes={k: [v for v in vs if isinstance(v, str)] for k, vs in attributes.items()},
        in_response_to=next(iter(in_response_to), None),
        replay_until=valid_until,
        session_not_on_or_after=datetime.fromtimestamp(session_end, tz=UTC) if session_end else None,
        signed_response=signed_response,
        signed_assertion=signed_assertion,
        authn_instant=saml_time_parse(instants[0]) if len(instants) == 1 else None,
        encrypted=encrypted,
        name_qualifier=name_id_data.get("NameQualifier") or "",
        sp_name_qualifier=name_id_data.get("SPNameQualifier") or "",
        session_index=response.get_session_index() or "",
    )
