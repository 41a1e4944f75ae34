"""IdP metadata bytes -> a plain dataclass, or one typed error with a message for the admin.

Pure: no database, no network, no clock (the caller passes ``now``). Parsing is hardened: any
DOCTYPE or entity declaration is refused before lxml sees the document, and the parser never
resolves entities, fetches anything or builds huge trees. Work is bounded: the document's size
and the number of each element we act on are capped before that work (docs/security.md,
"Bounded work"); certificates are read by ssogroups.certificates, in linear time.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from urllib.parse import urlsplit

from lxml import etree

from ssogroups.certificates import (  # noqa: F401 - re-exported: callers import them from here
    EXPIRY_WARNING_DAYS,
    MAX_CERTIFICATE_TEXT_CHARS,
    MAX_CERTIFICATES,
    MSG_CERT_EMPTY,
    MSG_CERT_INVALID,
    MSG_CERT_PRIVATE_KEY,
    MSG_CERT_TEXT_INVALID,
    MSG_CERT_TEXT_TOO_LONG,
    MSG_TOO_MANY_CERTIFICATES,
    WARN_CERT_EXPIRED,
    WARN_CERT_EXPIRING,
    Certificate,
    MetadataError,
    certificate_load,
    certificate_warnings,
    certificates_parse,
)
from ssogroups.certificates import short as _short
from ssogroups.constants import BINDING_POST, BINDING_REDIRECT, NS_MD, SAML2_PROTOCOL

MAX_METADATA_BYTES = 1024 * 1024
# Caps on the elements we act on, checked before acting (an IdP has one of each, a few at most;
# a federation aggregate of hundreds of entities is not what an SSO group is made from).
MAX_ENTITY_DESCRIPTORS = 100
MAX_KEY_DESCRIPTORS = 20
MAX_SSO_ENDPOINTS = 20
MAX_SLO_ENDPOINTS = 20
MAX_NAME_ID_FORMATS = 20

NS_DS = "http://www.w3.org/2000/09/xmldsig#"
# The bindings we can send an AuthnRequest over, in order of preference.
SUPPORTED_SSO_BINDINGS = (BINDING_REDIRECT, BINDING_POST)

# Messages (the admin reads these; keep them specific and actionable).
MSG_EMPTY = "The metadata is empty."
MSG_TOO_LARGE = "The metadata is larger than 1 MiB; IdP metadata is normally a few kilobytes."
MSG_DOCTYPE = (
    "The metadata contains a DOCTYPE or entity declaration, which SAML metadata never needs; "
    "it is refused for security (XXE / entity expansion)."
)
MSG_NOT_XML = "The metadata is not well-formed XML: {detail}"
MSG_HTML = (
    "This is an HTML page, not SAML metadata. It may be a sign-in or error page: use the file (or URL) the "
    "IdP offers as its SAML metadata (JumpCloud: the SSO tab's “Export Metadata”)."
)
MSG_NOT_METADATA = (
    "This is XML but not SAML 2.0 metadata: the root element is <{tag}>, "
    "expected <EntityDescriptor> in namespace " + NS_MD + "."
)
MSG_NO_IDP = "The metadata has no IDPSSODescriptor: it does not describe an identity provider."
MSG_NOT_SAML2 = "The identity provider in the metadata does not support the SAML 2.0 protocol."
MSG_SEVERAL_IDPS = "The metadata describes {count} identity providers ({choices}); choose one entity ID."
MSG_ENTITY_NOT_FOUND = "The metadata has no identity provider with entity ID {entity_id!r}."
MSG_NO_ENTITY_ID = "The EntityDescriptor has no entityID."
MSG_ENTITY_ID_TOO_LONG = "The entityID is longer than 1024 characters."
MSG_NO_SSO = "The metadata has no SingleSignOnService endpoint."
MSG_NO_SUPPORTED_SSO = (
    "The metadata has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding (found: {bindings})."
)
MSG_BAD_ENDPOINT = "The SingleSignOnService location {location!r} is not an http(s) URL."
MSG_NO_CERT = 'The metadata has no signing certificate (KeyDescriptor use="signing" with an X509Certificate).'
WARN_CERT_IGNORED = "A signing certificate was ignored because it is not valid: {value!r}."
WARN_HTTP_ENDPOINT = "The SSO endpoint {location} is not https; assertions and requests travel unencrypted."
WARN_BAD_SLO = "The SingleLogoutService location {location!r} is not an http(s) URL and was ignored."
MSG_TOO_MANY = "The metadata has more than {limit} {what}; IdP metadata normally has one or a few."
WHAT_ENTITIES = "EntityDescriptor elements"
WHAT_KEYS = "KeyDescriptor elements in its IDPSSODescriptor"
WHAT_SSO = "SingleSignOnService endpoints"
WHAT_SLO = "SingleLogoutService endpoints"
WHAT_NAME_ID_FORMATS = "NameIDFormat elements"
WHAT_CERTIFICATES = "signing certificates (X509Certificate elements)"

_DECL = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# The start of an HTML page (after a BOM, white space and comments): a web page where metadata was
# expected, said as such rather than as a refused DOCTYPE.
_HTML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.I | re.S)
_XML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<(?:\?xml|(?:[\w.-]+:)?Entit)")


def looks_like_html(data: bytes) -> bool:
    """Whether ``data`` starts as an HTML page does (read on its first 4 KiB only)."""
    return bool(_HTML_START.match(data[:4096]))


def looks_like_xml(data: bytes) -> bool:
    """Whether ``data`` starts as an XML document or a metadata element does."""
    return bool(_XML_START.match(data[:4096]))


@dataclass(frozen=True)
class Endpoint:
    binding: str
    location: str


@dataclass(frozen=True)
class IdPMetadata:
    entity_id: str
    sso_endpoints: tuple[Endpoint, ...]
    certificates: tuple[Certificate, ...]
    slo_url: str = ""
    name_id_formats: tuple[str, ...] = ()
    want_authn_requests_signed: bool = False
    warnings: tuple[str, ...] = field(default=())
    # The document as text, decoded with the encoding it declared (UTF-16 exports exist).
    document: str = ""

    @property
    def sso_endpoint(self) -> Endpoint:
        """The endpoint we send AuthnRequests to: HTTP-Redirect when offered, else HTTP-POST."""
        return _preferred_endpoint(self.sso_endpoints)


def _preferred_endpoint(endpoints: tuple[Endpoint, ...]) -> Endpoint:
    for binding in SUPPORTED_SSO_BINDINGS:
        for endpoint in endpoints:
            if endpoint.binding == binding:
                return endpoint
    raise AssertionError("parse_metadata guarantees a supported endpoint")  # pragma: no cover


def is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in value)


def endpoint_warnings(location: str) -> list[str]:
    return [] if urlsplit(location).scheme == "https" else [WARN_HTTP_ENDPOINT.format(location=location)]


_DECLARED_ENCODING = re.compile(r"""^(\ufeff?\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""")


def _to_bytes(data: bytes | str) -> bytes:
    if isinstance(data, str):
        # Pasted text is already decoded: its declaration must not make lxml decode it a second time.
        return _DECLARED_ENCODING.sub(r'\1"UTF-8"', data, count=1).encode("utf-8")
    return data


def _parse_xml(data: bytes) -> etree._Element:
    if len(data) > MAX_METADATA_BYTES:
        raise MetadataError(MSG_TOO_LARGE)
    if not data.strip():
        raise MetadataError(MSG_EMPTY)
    # Refused before parsing: SAML metadata never has a DTD. Checked on the raw bytes and on
    # UTF-16 text too, so a re-encoded document cannot slip a declaration past the check.
    candidates = [data]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        candidates.append(data.decode("utf-16", errors="ignore").encode("utf-8"))
    if looks_like_html(data):
        raise MetadataError(MSG_HTML)  # refused like any DOCTYPE, and said for what it is
    if any(_DECL.search(c) for c in candidates):
        raise MetadataError(MSG_DOCTYPE)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser=parser)  # noqa: S320 - hardened parser, DTDs refused above
    except etree.XMLSyntaxError as exc:
        # exc.msg: lxml's words without the "(<string>, line 1)" its str() adds about its own input.
        raise MetadataError(MSG_NOT_XML.format(detail=_short(exc.msg or str(exc), 160))) from exc
    if root is None:
        raise MetadataError(MSG_EMPTY)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise MetadataError(MSG_DOCTYPE)  # pragma: no cover - the byte check above already refused it
    return root


def _document_text(data: bytes | str, root: etree._Element) -> str:
    if isinstance(data, str):
        return data
    encoding = root.getroottree().docinfo.encoding or "utf-8"
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):  # pragma: no cover - lxml already decoded it with this codec
        return data.decode("utf-8", errors="replace")


def _md(name: str) -> str:
    return f"{{{NS_MD}}}{name}"


def _capped(elements, limit: int, what: str) -> list:
    """The elements as a list, refused with MSG_TOO_MANY past ``limit`` (read no further than limit + 1)."""
    found = list(islice(elements, limit + 1))
    if len(found) > limit:
        raise MetadataError(MSG_TOO_MANY.format(limit=limit, what=what))
    return found


def _has_saml2_idp(entity: etree._Element) -> bool:
    return entity.find(_md("IDPSSODescriptor")) is not None


def _select_entity(root: etree._Element, entity_id: str | None) -> etree._Element:
    if root.tag == _md("EntityDescriptor"):
        entities = [root]
    elif root.tag == _md("EntitiesDescriptor"):
        entities = _capped(root.iter(_md("EntityDescriptor")), MAX_ENTITY_DESCRIPTORS, WHAT_ENTITIES)
    else:
        raise MetadataError(MSG_NOT_METADATA.format(tag=etree.QName(root).localname))
    idps = [e for e in entities if _has_saml2_idp(e)]
    if entity_id is not None:
        chosen = [e for e in idps if (e.get("entityID") or "").strip() == entity_id]
        if not chosen:
            raise MetadataError(MSG_ENTITY_NOT_FOUND.format(entity_id=entity_id))
        return chosen[0]
    if not idps:
        raise MetadataError(MSG_NO_IDP)
    if len(idps) > 1:
        choices = tuple((e.get("entityID") or "").strip() for e in idps)
        raise MetadataError(
            MSG_SEVERAL_IDPS.format(count=len(idps), choices=", ".join(_short(c, 80) for c in choices)),
            choices=choices,
        )
    return idps[0]


def _select_idp_descriptor(entity: etree._Element) -> etree._Element:
    descriptors = entity.findall(_md("IDPSSODescriptor"))
    for descriptor in descriptors:
        protocols = descriptor.get("protocolSupportEnumeration")
        # The attribute is required by the schema; some exports omit it, which we tolerate.
        if protocols is None or SAML2_PROTOCOL in protocols.split():
            return descriptor
    raise MetadataError(MSG_NOT_SAML2)


def _sso_endpoints(descriptor: etree._Element) -> tuple[Endpoint, ...]:
    services = _capped(descriptor.iterfind(_md("SingleSignOnService")), MAX_SSO_ENDPOINTS, WHAT_SSO)
    if not services:
        raise MetadataError(MSG_NO_SSO)
    endpoints = []
    for service in services:
        binding = (service.get("Binding") or "").strip()
        location = (service.get("Location") or "").strip()
        if binding not in SUPPORTED_SSO_BINDINGS:
            continue
        if not is_http_url(location):
            raise MetadataError(MSG_BAD_ENDPOINT.format(location=_short(location, 80)))
        if len(location) > 2048:
            raise MetadataError(MSG_BAD_ENDPOINT.format(location=_short(location, 80)))
        endpoints.append(Endpoint(binding=binding, location=location))
    if not endpoints:
        bindings = ", ".join(sorted({(s.get("Binding") or "none").rsplit(":", 1)[-1] for s in services}))
        raise MetadataError(MSG_NO_SUPPORTED_SSO.format(bindings=bindings))
    return tuple(endpoints)


def _certificates(descriptor: etree._Element, *, required: bool) -> tuple[tuple[Certificate, ...], list[str]]:
    """Signing certificates (use="signing" or no use); unreadable ones are named, never silently used.

    ``required=False``: the admin gave the certificate herself, so none (or a placeholder) is fine here.
    """
    found: dict[str, Certificate] = {}
    invalid: list[str] = []
    keys = _capped(descriptor.iterfind(_md("KeyDescriptor")), MAX_KEY_DESCRIPTORS, WHAT_KEYS)
    # Encryption keys do not verify signatures: only signing ones (or those without use) are read.
    signing = (k for k in keys if (k.get("use") or "signing").strip() == "signing")
    elements = (e for k in signing for e in k.iter(f"{{{NS_DS}}}X509Certificate"))
    for element in _capped(elements, MAX_CERTIFICATES, WHAT_CERTIFICATES):
        value = element.text or ""
        try:
            cert = certificate_load(value, message=MSG_CERT_INVALID)
        except MetadataError as exc:
            if exc.message == MSG_CERT_TEXT_TOO_LONG:
                raise  # a cap, not a placeholder: said as it is
            invalid.append(value)
            continue
        found.setdefault(cert.sha256_fingerprint, cert)
    if not found and required:
        if invalid:
            raise MetadataError(MSG_CERT_INVALID.format(value=_short(invalid[0])))
        raise MetadataError(MSG_NO_CERT)
    return tuple(found.values()), [WARN_CERT_IGNORED.format(value=_short(v)) for v in invalid]


def parse_metadata(
    data: bytes | str, *, now: datetime, entity_id: str | None = None, certificates_required: bool = True
) -> IdPMetadata:
    """Parse IdP metadata; ``entity_id`` picks one IdP out of an EntitiesDescriptor holding several.

    ``certificates_required=False`` when a certificate was given separately (it wins over the metadata's).
    """
    raw = _to_bytes(data)
    root = _parse_xml(raw)
    entity = _select_entity(root, entity_id)
    found_id = (entity.get("entityID") or "").strip()
    if not found_id:
        raise MetadataError(MSG_NO_ENTITY_ID)
    if len(found_id) > 1024:
        raise MetadataError(MSG_ENTITY_ID_TOO_LONG)
    descriptor = _select_idp_descriptor(entity)
    endpoints = _sso_endpoints(descriptor)
    certificates, warnings = _certificates(descriptor, required=certificates_required)
    slo_url = ""
    for service in _capped(descriptor.iterfind(_md("SingleLogoutService")), MAX_SLO_ENDPOINTS, WHAT_SLO):
        location = (service.get("Location") or "").strip()
        if is_http_url(location) and len(location) <= 2048:
            slo_url = location
            break
        warnings.append(WARN_BAD_SLO.format(location=_short(location, 80)))
    name_id_formats = _capped(descriptor.iterfind(_md("NameIDFormat")), MAX_NAME_ID_FORMATS, WHAT_NAME_ID_FORMATS)
    formats = tuple((e.text or "").strip() for e in name_id_formats if (e.text or "").strip())
    want_signed = (descriptor.get("WantAuthnRequestsSigned") or "false").strip().lower() in ("true", "1")
    warnings += certificate_warnings(certificates, now=now)
    warnings += endpoint_warnings(_preferred_endpoint(endpoints).location)
    return IdPMetadata(
        entity_id=found_id,
        sso_endpoints=endpoints,
        certificates=certificates,
        slo_url=slo_url,
        name_id_formats=formats,
        want_authn_requests_signed=want_signed,
        warnings=tuple(warnings),
        document=_document_text(data, root),
    )
