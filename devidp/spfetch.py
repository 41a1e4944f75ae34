"""Learn an SP from its metadata URL: a bounded GET, then the entity ID and its HTTP-POST ACS URLs.

Our SP entity ID *is* its metadata URL, so the Issuer of an AuthnRequest says where to look. The
fetch is bounded (http(s) only, a timeout, a size cap, no redirects) and never echoes what it got:
the dev IdP must not become a way to read arbitrary URLs.
"""

import http.client
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

TIMEOUT_SECONDS = 5.0
MAX_BYTES = 256 * 1024
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
NS = {"md": "urn:oasis:names:tc:SAML:2.0:metadata"}

MSG_SCHEME = "The SP's entity ID is not an http(s) URL, so its metadata cannot be fetched: {url}"
MSG_UNREACHABLE = "The SP's metadata at {url} could not be fetched ({detail})."
MSG_STATUS = "The SP's metadata at {url} answered HTTP {status}; expected 200."
MSG_TOO_LARGE = "The SP's metadata at {url} is larger than 256 KiB."
MSG_NOT_METADATA = "The document at {url} is not SAML metadata ({detail})."
MSG_ENTITY_MISMATCH = "The metadata at {url} describes the entity {found}, not {url}."
MSG_NO_ACS = "The SP's metadata at {url} lists no HTTP-POST AssertionConsumerService."


class SPError(ValueError):
    """The SP could not be learned; the message is shown to the developer on the IdP's page."""


@dataclass(frozen=True)
class SPInfo:
    entity_id: str
    acs_urls: tuple[str, ...]  # HTTP-POST ACS locations; the default one first
    acs_by_index: dict[str, str]

    @property
    def default_acs(self) -> str:
        return self.acs_urls[0]


def fetch_bytes(url: str, *, timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_BYTES) -> bytes:
    """GET ``url`` (http or https only, no redirects) within ``timeout`` seconds and ``max_bytes``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SPError(MSG_SCHEME.format(url=url))
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    try:
        connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    except ValueError as exc:  # e.g. a non-numeric port
        raise SPError(MSG_SCHEME.format(url=url)) from exc
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = time.monotonic() + timeout
    try:
        connection.request("GET", path, headers={"Accept": "application/samlmetadata+xml, application/xml"})
        response = connection.getresponse()
        if response.status != 200:
            raise SPError(MSG_STATUS.format(url=url, status=response.status))
        chunks, size = [], 0
        while chunk := response.read1(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise SPError(MSG_TOO_LARGE.format(url=url))
            if time.monotonic() > deadline:  # a server dripping bytes cannot hold us past the timeout
                raise TimeoutError
            chunks.append(chunk)
        return b"".join(chunks)
    except TimeoutError as exc:
        raise SPError(MSG_UNREACHABLE.format(url=url, detail=f"no answer within {timeout:g} s")) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise SPError(MSG_UNREACHABLE.format(url=url, detail=type(exc).__name__)) from exc
    finally:
        connection.close()


def sp_metadata_parse(xml: bytes, *, url: str) -> SPInfo:
    """The SP entity and its HTTP-POST ACS URLs (isDefault first, then by index, then in order)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise SPError(MSG_NOT_METADATA.format(url=url, detail="not well-formed XML")) from exc
    if root.getroottree().docinfo.doctype:
        raise SPError(MSG_NOT_METADATA.format(url=url, detail="a DOCTYPE is not allowed"))
    if root.tag != f"{{{NS['md']}}}EntityDescriptor":
        raise SPError(MSG_NOT_METADATA.format(url=url, detail="the root is not md:EntityDescriptor"))
    if root.get("entityID") != url:
        raise SPError(MSG_ENTITY_MISMATCH.format(url=url, found=root.get("entityID")))
    services = [
        acs
        for acs in root.xpath("md:SPSSODescriptor/md:AssertionConsumerService", namespaces=NS)
        if acs.get("Binding") == BINDING_POST and urlsplit(acs.get("Location") or "").scheme in ("http", "https")
    ]
    if not services:
        raise SPError(MSG_NO_ACS.format(url=url))

    def order(item: tuple[int, etree._Element]) -> tuple[bool, int, int]:
        position, acs = item
        index = acs.get("index", "")
        return (acs.get("isDefault") != "true", int(index) if index.isdigit() else 1 << 30, position)

    ordered = [acs for _, acs in sorted(enumerate(services), key=order)]
    return SPInfo(
        entity_id=url,
        acs_urls=tuple(dict.fromkeys(acs.get("Location") for acs in ordered)),
        acs_by_index={acs.get("index"): acs.get("Location") for acs in ordered if acs.get("index")},
    )


def sp_learn(entity_id: str) -> SPInfo:
    """Fetch and parse the metadata at the SP's entity ID."""
    return sp_metadata_parse(fetch_bytes(entity_id), url=entity_id)
