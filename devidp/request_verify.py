"""Require signed AuthnRequests, as an IdP with WantAuthnRequestsSigned="true" in its metadata does.

On when ``DevIdP(require_signed_requests=True)`` (``IDP_REQUIRE_SIGNED_REQUESTS=1`` for ``make idp``):
the IdP's metadata says ``WantAuthnRequestsSigned="true"`` and every AuthnRequest must carry a
signature that verifies with a signing certificate in the SP's own published metadata (fetched from
its entity ID, as spfetch does):

- HTTP-Redirect: the query signature (SAML bindings 3.4.4.1) over ``SAMLRequest=…&RelayState=…&SigAlg=…``
  exactly as the URL encodes them, or rebuilt with ``quote_plus`` as pysaml2 and python3-saml build it;
- HTTP-POST: one enveloped ``ds:Signature`` directly under the AuthnRequest whose Reference is the
  request's own ID (no signature elsewhere counts), verified by python-xmlsec.

RSA with SHA-256, -384 or -512 only. A refusal is a ``RequestSignatureError`` whose message the IdP
shows on its error page; no assertion is sent.
"""

import base64
import binascii
from urllib.parse import urlencode

import xmlsec
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree
from saml2 import BINDING_HTTP_REDIRECT

from devidp import spfetch

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
}
XMLDSIG_MORE = "http://www.w3.org/2001/04/xmldsig-more#"
QUERY_ALGORITHMS = {
    f"{XMLDSIG_MORE}rsa-sha256": hashes.SHA256,
    f"{XMLDSIG_MORE}rsa-sha384": hashes.SHA384,
    f"{XMLDSIG_MORE}rsa-sha512": hashes.SHA512,
}
XML_ALGORITHMS = frozenset(QUERY_ALGORITHMS)
# The only transforms a request's signature may use: none of them selects less than the whole request.
TRANSFORMS = frozenset(
    {
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    }
)

MSG_UNSIGNED = (
    'This IdP requires signed requests (WantAuthnRequestsSigned="true" in its metadata) and this '
    "AuthnRequest carries no signature. Have the SP sign its requests (sparksso signs when the IdP's "
    'metadata asks for it: refresh the SSO group\'s metadata, or turn on its "Sign AuthnRequests" policy).'
)
MSG_BAD_SIGNATURE = (
    "The AuthnRequest's signature does not verify with the signing certificate in the SP's metadata at "
    "{url}: refused. No assertion was sent."
)
MSG_ALGORITHM = "The AuthnRequest is signed with {algorithm}; this IdP accepts RSA-SHA256 (or SHA-384/512) only."
MSG_NO_CERTIFICATE = (
    "The SP's metadata at {url} publishes no signing certificate, so its requests cannot be verified. "
    "This IdP requires signed requests."
)

MSG_VERIFIED = "The request's signature was verified with the certificate in the SP's metadata."


class RequestSignatureError(ValueError):
    """An AuthnRequest refused for its signature; the message is shown on the IdP's error page."""


def metadata_wanting_signed(xml: str) -> str:
    """The IdP's metadata with ``WantAuthnRequestsSigned="true"``."""
    return xml.replace('WantAuthnRequestsSigned="false"', 'WantAuthnRequestsSigned="true"', 1)


def signing_certificates(metadata: bytes, *, url: str) -> tuple[str, ...]:
    """The SP's signing (or unqualified) certificates from its metadata, as PEM; error if none."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(metadata, parser)
    except etree.XMLSyntaxError as exc:
        raise spfetch.SPError(spfetch.MSG_NOT_METADATA.format(url=url, detail="not well-formed XML")) from exc
    certificates = []
    for descriptor in root.xpath("md:SPSSODescriptor/md:KeyDescriptor", namespaces=NS):
        if descriptor.get("use", "signing") != "signing":
            continue
        for text in descriptor.xpath("ds:KeyInfo/ds:X509Data/ds:X509Certificate/text()", namespaces=NS):
            body = "".join(text.split())
            lines = [body[i : i + 64] for i in range(0, len(body), 64)]
            certificates.append("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n")
    if not certificates:
        raise RequestSignatureError(MSG_NO_CERTIFICATE.format(url=url))
    return tuple(dict.fromkeys(certificates))


def sp_signing_certificates(entity_id: str) -> tuple[str, ...]:
    """Fetch the SP's metadata (its entity ID is its metadata URL) and take its signing certificates."""
    return signing_certificates(spfetch.fetch_bytes(entity_id), url=entity_id)


def request_verify(
    params: dict[str, str], *, binding: str, certificates: tuple[str, ...], url: str, raw_query: str = ""
) -> None:
    """Raise RequestSignatureError unless the request in ``params`` is signed by one of ``certificates``."""
    if binding == BINDING_HTTP_REDIRECT:
        _query_verify(params, certificates=certificates, url=url, raw_query=raw_query)
    else:
        _enveloped_verify(params["SAMLRequest"], certificates=certificates, url=url)


def _signed_octets(params: dict[str, str], raw_query: str) -> list[bytes]:
    """What the signature may cover: the URL's own encoding of the three parameters, then quote_plus's."""
    raw: dict[str, str] = {}
    for pair in raw_query.split("&"):
        name, _, value = pair.partition("=")
        if name in ("SAMLRequest", "RelayState", "SigAlg"):
            raw.setdefault(name, value)  # the first, as the parsed query keeps
    names = [n for n in ("SAMLRequest", "RelayState", "SigAlg") if n in params]
    rebuilt = urlencode([(n, params[n]) for n in names]).encode("ascii")
    candidates = [rebuilt]
    if all(n in raw for n in names):
        candidates.insert(0, "&".join(f"{n}={raw[n]}" for n in names).encode("ascii", "replace"))
    return list(dict.fromkeys(candidates))


def _query_verify(params: dict[str, str], *, certificates: tuple[str, ...], url: str, raw_query: str) -> None:
    signature, algorithm = params.get("Signature", ""), params.get("SigAlg", "")
    if not signature or not algorithm:
        raise RequestSignatureError(MSG_UNSIGNED)
    if algorithm not in QUERY_ALGORITHMS:
        raise RequestSignatureError(MSG_ALGORITHM.format(algorithm=algorithm))
    try:
        raw = base64.b64decode("".join(signature.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestSignatureError(MSG_BAD_SIGNATURE.format(url=url)) from exc
    for pem in certificates:
        key = x509.load_pem_x509_certificate(pem.encode()).public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            continue
        for data in _signed_octets(params, raw_query):
            try:
                key.verify(raw, data, padding.PKCS1v15(), QUERY_ALGORITHMS[algorithm]())
            except InvalidSignature:
                continue
            return
    raise RequestSignatureError(MSG_BAD_SIGNATURE.format(url=url))


def _enveloped_verify(saml_request: str, *, certificates: tuple[str, ...], url: str) -> None:
    # The request was decoded and read already (saml.authn_request_decode): base64 and XML are sound.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    root = etree.fromstring(base64.b64decode("".join(saml_request.split())), parser)
    signatures = root.findall("ds:Signature", NS)
    if not signatures and not root.findall(".//ds:Signature", NS):
        raise RequestSignatureError(MSG_UNSIGNED)
    # Exactly one signature, directly under the request, over the request itself: nothing else counts.
    references = signatures[0].findall("ds:SignedInfo/ds:Reference", NS) if len(signatures) == 1 else []
    if len(references) != 1 or not root.get("ID") or references[0].get("URI") != f"#{root.get('ID')}":
        raise RequestSignatureError(MSG_BAD_SIGNATURE.format(url=url))
    if any(t.get("Algorithm") not in TRANSFORMS for t in references[0].iterfind("ds:Transforms/ds:Transform", NS)):
        raise RequestSignatureError(MSG_BAD_SIGNATURE.format(url=url))
    method = signatures[0].find("ds:SignedInfo/ds:SignatureMethod", NS)
    algorithm = method.get("Algorithm") if method is not None else ""
    if algorithm not in XML_ALGORITHMS:
        raise RequestSignatureError(MSG_ALGORITHM.format(algorithm=algorithm))
    xmlsec.tree.add_ids(root, ["ID"])
    for pem in certificates:
        context = xmlsec.SignatureContext()
        context.key = xmlsec.Key.from_memory(pem, xmlsec.constants.KeyDataFormatCertPem)
        try:
            context.verify(signatures[0])
        except xmlsec.Error:
            continue
        return
    raise RequestSignatureError(MSG_BAD_SIGNATURE.format(url=url))
