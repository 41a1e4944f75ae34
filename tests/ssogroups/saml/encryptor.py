"""An independent encryptor for test responses: python-xmlsec's EncryptionContext, nothing of ours.

An IdP signs the assertion, encrypts it to the SP's certificate (a fresh AES session key wrapped
with RSA-OAEP), and may then sign the Response around the EncryptedAssertion; so do we here.
"""

from collections.abc import Callable

import xmlsec
from lxml import etree

from tests.ssogroups.saml.idp import EMAIL, NS, RESPONSE_NODE, SHA256, SP, TestIdP

XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DS = NS["ds"]

# Key transport: xmlenc's OAEP (SHA-1, MGF1-SHA1) and xmlenc 1.1's OAEP with SHA-256 and MGF1-SHA256.
OAEP_SHA1 = "rsa-oaep-mgf1p"
OAEP_SHA256 = "rsa-oaep-sha256"
KEY_TRANSPORTS = (OAEP_SHA1, OAEP_SHA256)
# Content encryption: algorithm URI and key size in bits.
CONTENT = {
    "aes128-gcm": (f"{XENC11}aes128-gcm", 128),
    "aes256-gcm": (f"{XENC11}aes256-gcm", 256),
    "aes128-cbc": (f"{XENC}aes128-cbc", 128),
    "aes256-cbc": (f"{XENC}aes256-cbc", 256),
}


def _template(*, key_transport: str, content: str) -> etree._Element:
    algorithm, _ = CONTENT[content]
    data = etree.Element(f"{{{XENC}}}EncryptedData", nsmap={"xenc": XENC}, Type=f"{XENC}Element")
    etree.SubElement(data, f"{{{XENC}}}EncryptionMethod", Algorithm=algorithm)
    key_info = etree.SubElement(data, f"{{{DS}}}KeyInfo", nsmap={"ds": DS})
    key = etree.SubElement(key_info, f"{{{XENC}}}EncryptedKey")
    if key_transport == OAEP_SHA1:
        method = etree.SubElement(key, f"{{{XENC}}}EncryptionMethod", Algorithm=f"{XENC}rsa-oaep-mgf1p")
        etree.SubElement(method, f"{{{DS}}}DigestMethod", Algorithm="http://www.w3.org/2000/09/xmldsig#sha1")
    elif key_transport == OAEP_SHA256:
        method = etree.SubElement(key, f"{{{XENC}}}EncryptionMethod", Algorithm=f"{XENC11}rsa-oaep")
        etree.SubElement(method, f"{{{DS}}}DigestMethod", Algorithm=f"{XENC}sha256")
        etree.SubElement(method, f"{{{XENC11}}}MGF", nsmap={"xenc11": XENC11}, Algorithm=f"{XENC11}mgf1sha256")
    else:
        raise ValueError(key_transport)
    etree.SubElement(etree.SubElement(key, f"{{{XENC}}}CipherData"), f"{{{XENC}}}CipherValue")
    etree.SubElement(etree.SubElement(data, f"{{{XENC}}}CipherData"), f"{{{XENC}}}CipherValue")
    return data


def element_encrypt(element: etree._Element, cert_pem: str, *, key_transport: str, content: str) -> etree._Element:
    """xenc:EncryptedData for ``element`` (serialised with the namespaces it uses), to ``cert_pem``."""
    standalone = etree.fromstring(etree.tostring(element))
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem))
    context = xmlsec.EncryptionContext(manager)
    context.key = xmlsec.Key.generate(
        xmlsec.constants.KeyDataAes, CONTENT[content][1], xmlsec.constants.KeyDataTypeSession
    )
    return context.encrypt_xml(_template(key_transport=key_transport, content=content), standalone)


def assertion_encrypt(tree: etree._Element, cert_pem: str, *, key_transport: str, content: str) -> None:
    """Replace the Response's saml:Assertion by a saml:EncryptedAssertion, in place."""
    assertion = tree.find("saml:Assertion", NS)
    wrapper = etree.Element(f"{{{NS['saml']}}}EncryptedAssertion")
    wrapper.append(element_encrypt(assertion, cert_pem, key_transport=key_transport, content=content))
    tree.replace(assertion, wrapper)


def encrypted_response(
    idp: TestIdP,
    sp: SP,
    *,
    cert_pem: str,
    name_id: str,
    key_transport: str = OAEP_SHA256,
    content: str = "aes256-gcm",
    sign_assertion: bool = True,
    sign_response: bool = False,
    name_id_format: str = EMAIL,
    mutate_plain: Callable[[str], str] | None = None,
    mutate_encrypted: Callable[[etree._Element], None] | None = None,
    **response_args,
) -> str:
    """A response from ``idp`` whose assertion is encrypted to ``cert_pem``.

    ``mutate_plain`` edits the signed plaintext before encryption (attacks inside the ciphertext);
    ``mutate_encrypted`` edits the tree after encryption, before the Response is signed.
    """
    xml = idp.response(
        sp,
        name_id=name_id,
        name_id_format=name_id_format,
        sign_assertion=sign_assertion,
        sign_response=False,
        **response_args,
    )
    if mutate_plain:
        xml = mutate_plain(xml)
    tree = etree.fromstring(xml.encode())
    assertion_encrypt(tree, cert_pem, key_transport=key_transport, content=content)
    if mutate_encrypted:
        mutate_encrypted(tree)
    if not sign_response:
        return etree.tostring(tree).decode()
    idp._insert_signature_template(tree, *SHA256)
    return idp.server(sp).sec.sign_statement(
        etree.tostring(tree).decode(), RESPONSE_NODE, key_file=str(idp.key_file), node_id=tree.get("ID")
    )
