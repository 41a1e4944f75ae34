"""Decrypting an EncryptedAssertion: which algorithms, which of our SP keys, and why it failed.

python3-saml decrypts in its Response constructor with the one SP key its settings carry; we call it
once per key (current, next, previous) and read its xmlsec.Error as "not this key". It also builds
an xmlsec KeysManager for every decryption, which costs about 9 ms of CPU (an X.509 store is set
up): more than the RSA-3072 decryption itself. ``decryption_cache_install`` (from library_adjust)
swaps in the library's own decrypt_element with the manager kept per key and thread: the same key,
the same EncryptionContext.decrypt call.
"""

import base64
import threading
from collections.abc import Callable, Sequence
from copy import deepcopy
from xml.dom.minidom import Element

import xmlsec
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML
from onelogin.saml2.xmlparser import DTDForbidden, EntitiesForbidden, NotSupportedError

from ssogroups.saml import reasons
from ssogroups.saml.errors import SamlRejected

_XENC, _XENC11 = "http://www.w3.org/2001/04/xmlenc#", "http://www.w3.org/2009/xmlenc11#"
# What an EncryptedAssertion may use (XML Encryption 1.0 and 1.1 identifiers).
KEY_TRANSPORT = frozenset({f"{_XENC}rsa-oaep-mgf1p", f"{_XENC11}rsa-oaep"})
CONTENT_ENCRYPTION = frozenset(
    {f"{_XENC11}aes128-gcm", f"{_XENC11}aes256-gcm", f"{_XENC}aes128-cbc", f"{_XENC}aes256-cbc"}
)
_ENCRYPTED_DATA = "/samlp:Response/saml:EncryptedAssertion[1]/xenc:EncryptedData"  # the one python3-saml opens
_DISPLAY_MAX = 300
# The admin's detail of decryption_failed when one of our keys opened the EncryptedData.
PLAINTEXT_FORBIDDEN = "an SP key opened it, but the plaintext holds a DOCTYPE or entity declaration (refused)"
PLAINTEXT_MALFORMED = "an SP key opened it, but the plaintext is not well-formed XML"
NOT_AN_ASSERTION = "an SP key opened it, but it holds no saml:Assertion"
_ORIGINAL_DECRYPT_ELEMENT = OneLogin_Saml2_Utils.decrypt_element
_MAX_KEYS = 8  # current, next and a few previous keys; a rotation past that starts afresh
_local = threading.local()


def response_decrypt(settings: dict, encoded: str, decryption_keys: Callable[[], Sequence[str]], *, parse):
    """``parse(settings, encoded)`` (python3-saml's Response) with each of our keys in turn until one
    opens the EncryptedAssertion; an IdP may still encrypt to an older key during a rotation."""
    document = OneLogin_Saml2_XML.to_etree(base64.b64decode(encoded))  # python3-saml parsed it once: safe
    _algorithms_check(document)  # before any key is read
    private_keys = decryption_keys()
    if not private_keys:
        raise SamlRejected(reasons.DECRYPTION_FAILED, "this deployment has no SP key")
    for private_key in private_keys:
        try:
            return parse({**settings, "sp": {**settings["sp"], "privateKey": private_key}}, encoded)
        except xmlsec.Error:  # not encrypted to this key (or its plaintext is not XML): the next one
            continue
    raise _plaintext_diagnose(document, private_keys) or SamlRejected(
        reasons.DECRYPTION_FAILED, f"none of the {len(private_keys)} SP key(s) opens it"
    )


def _algorithms_check(document) -> None:
    """Only RSA-OAEP key transport and AES-GCM/CBC content: never RSA PKCS#1 v1.5 (Bleichenbacher's
    oracle) nor 3DES, whatever xmlsec would otherwise accept."""
    found = document.xpath(_ENCRYPTED_DATA, namespaces=C.NSMAP)
    if len(found) != 1:
        raise SamlRejected(reasons.ENCRYPTED_UNSUPPORTED, "the EncryptedAssertion holds no one xenc:EncryptedData")
    content = found[0].xpath("xenc:EncryptionMethod/@Algorithm", namespaces=C.NSMAP)
    transport = found[0].xpath("..//xenc:EncryptedKey/xenc:EncryptionMethod/@Algorithm", namespaces=C.NSMAP)
    for kind, algorithms, allowed in (("content", content, CONTENT_ENCRYPTION), ("key", transport, KEY_TRANSPORT)):
        for algorithm in algorithms or [""]:
            if algorithm not in allowed:
                raise SamlRejected(reasons.ENCRYPTION_ALGORITHM, f"{kind} encryption {algorithm[:_DISPLAY_MAX]!r}")


def _plaintext_diagnose(document, private_keys: Sequence[str]) -> SamlRejected | None:
    """Failure path only: xmlsec says "failed to decrypt" both for a key that is not ours and for a
    plaintext it cannot parse (a DOCTYPE, an entity). Decrypt to bytes to tell which, for the admin.

    The reason (and so the HTTP status) stays decryption_failed whatever the plaintext was: with
    AES-CBC, telling "bad padding" from "bad XML" to whoever posted is the padding oracle of Jager and
    Somorovsky's attack on XML Encryption. Only the admin's detail says which."""
    encrypted = deepcopy(document.xpath(_ENCRYPTED_DATA, namespaces=C.NSMAP)[0])
    encrypted.attrib.pop("Type", None)  # without a Type, xmlsec returns the plaintext bytes unparsed
    for private_key in private_keys:
        try:
            plaintext = xmlsec.EncryptionContext(_manager(private_key)).decrypt(deepcopy(encrypted))
        except xmlsec.Error:
            continue
        try:
            OneLogin_Saml2_XML.to_etree(plaintext)
        except (DTDForbidden, EntitiesForbidden, NotSupportedError) as exc:
            return SamlRejected(reasons.DECRYPTION_FAILED, f"{PLAINTEXT_FORBIDDEN} ({type(exc).__name__})")
        except etree.XMLSyntaxError as exc:
            return SamlRejected(reasons.DECRYPTION_FAILED, f"{PLAINTEXT_MALFORMED}: {str(exc)[:_DISPLAY_MAX]}")
        return SamlRejected(reasons.DECRYPTION_FAILED, f"{PLAINTEXT_MALFORMED}: not one XML element")
    return None


# --- python3-saml's decrypt_element, its KeysManager kept ------------------------------------------


def _manager(key: str | bytes) -> xmlsec.KeysManager:
    """Per thread, because a KeysManager is not documented as safe to share."""
    cache = getattr(_local, "managers", None)
    if cache is None:
        cache = _local.managers = {}
    manager = cache.get(key)
    if manager is None:
        if len(cache) >= _MAX_KEYS:
            cache.clear()
        manager = xmlsec.KeysManager()
        manager.add_key(xmlsec.Key.from_memory(key, xmlsec.constants.KeyDataFormatPem, None))
        cache[key] = manager
    return manager


def _decrypt_element_cached(encrypted_data, key, debug=False, inplace=False):
    """OneLogin_Saml2_Utils.decrypt_element (python3-saml 1.16), its KeysManager cached, and a plaintext
    that is text alone refused as xmlsec.Error (the library's version raises IndexError: a 500)."""
    if isinstance(encrypted_data, Element):
        encrypted_data = OneLogin_Saml2_XML.to_etree(str(encrypted_data.toxml()))
    if not inplace and isinstance(encrypted_data, OneLogin_Saml2_XML._element_class):
        encrypted_data = deepcopy(encrypted_data)
    elif isinstance(encrypted_data, OneLogin_Saml2_XML._text_class):
        encrypted_data = OneLogin_Saml2_XML._parse_etree(encrypted_data)
    xmlsec.enable_debug_trace(debug)
    try:
        return xmlsec.EncryptionContext(_manager(key)).decrypt(encrypted_data)
    except IndexError as exc:  # python-xmlsec 1.3, when the plaintext put only text where the node was
        raise xmlsec.Error(1, "decrypted to no element") from exc


def decryption_cache_install() -> None:
    OneLogin_Saml2_Utils.decrypt_element = staticmethod(_decrypt_element_cached)


def decryption_cache_uninstall() -> None:
    """Back to the library's own function (a KeysManager per call); the benchmark compares both."""
    OneLogin_Saml2_Utils.decrypt_element = staticmethod(_ORIGINAL_DECRYPT_ELEMENT)
