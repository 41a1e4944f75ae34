"""Encrypt the assertion to the SP's published certificate, as Okta or Entra do when "encrypt assertions" is on.

The certificate comes from the SP's own metadata (a KeyDescriptor for encryption, or one without
``use``). AES-256-GCM content, its key wrapped with RSA-OAEP (XML Encryption 1.1, SHA-256 and
MGF1-SHA256), by python-xmlsec. The assertion is signed before and the Response after.
"""

import xmlsec
from lxml import etree

from devidp import spfetch

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
}
XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"

MSG_NO_CERTIFICATE = (
    "The SP's metadata at {url} publishes no encryption certificate, so the assertion cannot be encrypted "
    'to it. Untick "Encrypt the assertion".'
)


def encryption_certificate(metadata: bytes, *, url: str) -> str:
    """The first encryption (or unqualified) certificate of the SP's metadata, as PEM; SPError if none."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(metadata, parser)
    except etree.XMLSyntaxError as exc:
        raise spfetch.SPError(spfetch.MSG_NOT_METADATA.format(url=url, detail="not well-formed XML")) from exc
    for descriptor in root.xpath("md:SPSSODescriptor/md:KeyDescriptor", namespaces=NS):
        if descriptor.get("use", "encryption") != "encryption":
            continue
        for text in descriptor.xpath("ds:KeyInfo/ds:X509Data/ds:X509Certificate/text()", namespaces=NS):
            body = "".join(text.split())
            lines = [body[i : i + 64] for i in range(0, len(body), 64)]
            return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
    raise spfetch.SPError(MSG_NO_CERTIFICATE.format(url=url))


def sp_encryption_certificate(entity_id: str) -> str:
    """Fetch the SP's metadata (its entity ID is its metadata URL) and take its encryption certificate."""
    return encryption_certificate(spfetch.fetch_bytes(entity_id), url=entity_id)


def _template() -> etree._Element:
    data = etree.Element(f"{{{XENC}}}EncryptedData", nsmap={"xenc": XENC}, Type=f"{XENC}Element")
    etree.SubElement(data, f"{{{XENC}}}EncryptionMethod", Algorithm=f"{XENC11}aes256-gcm")
    key_info = etree.SubElement(data, f"{{{NS['ds']}}}KeyInfo", nsmap={"ds": NS["ds"]})
    key = etree.SubElement(key_info, f"{{{XENC}}}EncryptedKey")
    method = etree.SubElement(key, f"{{{XENC}}}EncryptionMethod", Algorithm=f"{XENC11}rsa-oaep")
    etree.SubElement(method, f"{{{NS['ds']}}}DigestMethod", Algorithm=f"{XENC}sha256")
    etree.SubElement(method, f"{{{XENC11}}}MGF", nsmap={"xenc11": XENC11}, Algorithm=f"{XENC11}mgf1sha256")
    etree.SubElement(etree.SubElement(key, f"{{{XENC}}}CipherData"), f"{{{XENC}}}CipherValue")
    etree.SubElement(etree.SubElement(data, f"{{{XENC}}}CipherData"), f"{{{XENC}}}CipherValue")
    return data


def assertion_encrypt(response_xml: str, certificate_pem: str) -> str:
    """The Response with its saml:Assertion replaced by a saml:EncryptedAssertion to ``certificate_pem``."""
    tree = etree.fromstring(response_xml.encode())
    assertion = tree.find("saml:Assertion", NS)
    standalone = etree.fromstring(etree.tostring(assertion))  # carries the namespaces it uses
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_memory(certificate_pem, xmlsec.constants.KeyDataFormatCertPem))
    context = xmlsec.EncryptionContext(manager)
    context.key = xmlsec.Key.generate(xmlsec.constants.KeyDataAes, 256, xmlsec.constants.KeyDataTypeSession)
    wrapper = etree.Element(f"{{{NS['saml']}}}EncryptedAssertion")
    wrapper.append(context.encrypt_xml(_template(), standalone))
    tree.replace(assertion, wrapper)
    return etree.tostring(tree).decode()
