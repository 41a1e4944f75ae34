"""python3-saml's decrypt_element with the xmlsec KeysManager kept per SP key (and thread).

python3-saml builds a KeysManager for every decryption, and creating one costs about 9 ms of CPU
(xmlsec sets up an X.509 store): more than the RSA-3072 decryption itself. The replacement is the
library's own function with the manager reused: the same key, the same EncryptionContext.decrypt.
Per thread, because a KeysManager is not documented as safe to share.
"""

import threading
from copy import deepcopy
from xml.dom.minidom import Element

import xmlsec
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

_ORIGINAL_DECRYPT_ELEMENT = OneLogin_Saml2_Utils.decrypt_element
_MAX_KEYS = 8  # current, next and a few previous keys; a rotation past that starts afresh
_local = threading.local()


def _manager(key: str | bytes) -> xmlsec.KeysManager:
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
    """OneLogin_Saml2_Utils.decrypt_element (python3-saml 1.16), its KeysManager cached."""
    if isinstance(encrypted_data, Element):
        encrypted_data = OneLogin_Saml2_XML.to_etree(str(encrypted_data.toxml()))
    if not inplace and isinstance(encrypted_data, OneLogin_Saml2_XML._element_class):
        encrypted_data = deepcopy(encrypted_data)
    elif isinstance(encrypted_data, OneLogin_Saml2_XML._text_class):
        encrypted_data = OneLogin_Saml2_XML._parse_etree(encrypted_data)
    xmlsec.enable_debug_trace(debug)
    return xmlsec.EncryptionContext(_manager(key)).decrypt(encrypted_data)


def decryption_cache_install() -> None:
    OneLogin_Saml2_Utils.decrypt_element = staticmethod(_decrypt_element_cached)


def decryption_cache_uninstall() -> None:
    """Back to the library's own function (a KeysManager per call)."""
    OneLogin_Saml2_Utils.decrypt_element = staticmethod(_ORIGINAL_DECRYPT_ELEMENT)
