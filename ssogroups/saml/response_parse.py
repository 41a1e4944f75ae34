"""A posted SAMLResponse read into python3-saml's Response: its size and base64 checked, each parse
error of the library a named reason, and an EncryptedAssertion decrypted with our SP keys
(ssogroups.saml.decryption). No validation here: ssogroups.saml.acs checks what comes out."""

import base64
import binascii
from collections.abc import Callable, Sequence

import xmlsec
from lxml import etree
from onelogin.saml2.errors import OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.xmlparser import DTDForbidden, EntitiesForbidden, NotSupportedError

from ssogroups.saml import reasons
from ssogroups.saml.decryption import response_decrypt
from ssogroups.saml.errors import SamlRejected

# JumpCloud's responses are a few KB; anything near this is not a sign-in.
MAX_RESPONSE_BYTES = 256 * 1024


def decode(saml_response: str) -> str:
    compact = "".join((saml_response or "").split())
    if not compact:
        raise SamlRejected(reasons.MISSING_RESPONSE)
    if len(compact) > MAX_RESPONSE_BYTES * 4 // 3 + 4:
        raise SamlRejected(reasons.OVERSIZE)
    try:
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SamlRejected(reasons.BAD_BASE64, str(exc)) from exc
    return compact


# Our SP private keys (PEM) in the order to try them: current, next, previous. A callable, so that
# a plain response (the common case) never loads a key.
KeySource = Callable[[], Sequence[str]] | None


class _KeyNeeded(Exception):
    """python3-saml found an EncryptedAssertion and its settings carry no SP key."""


def _library_parse(settings: dict, encoded: str) -> OneLogin_Saml2_Response:
    """python3-saml's Response, each library error a named reason; xmlsec.Error (the key in the
    settings does not open the EncryptedAssertion) and _KeyNeeded are left to the caller."""
    try:
        # Receiving needs no IdP SSO URL (an IdP-initiated-only group may have none), so only
        # the SP half is checked here; the certificates are checked by the caller.
        saml_settings = OneLogin_Saml2_Settings(settings, sp_validation_only=True)
    except OneLogin_Saml2_Error as exc:
        raise SamlRejected(reasons.GROUP_MISCONFIGURED, str(exc)) from exc
    # python3-saml parses (and refuses DOCTYPEs) while constructing, before is_valid; it also
    # decrypts an EncryptedAssertion there, with the one key its settings carry.
    try:
        return OneLogin_Saml2_Response(saml_settings, encoded)
    except (DTDForbidden, EntitiesForbidden, NotSupportedError) as exc:
        raise SamlRejected(reasons.FORBIDDEN_XML, type(exc).__name__) from exc
    except etree.XMLSyntaxError as exc:
        raise SamlRejected(reasons.MALFORMED_XML, str(exc)) from exc
    except OneLogin_Saml2_Error as exc:
        if exc.code == OneLogin_Saml2_Error.PRIVATE_KEY_NOT_FOUND:
            raise _KeyNeeded from exc
        raise SamlRejected(reasons.ENCRYPTED_UNSUPPORTED, str(exc)) from exc
    except OneLogin_Saml2_ValidationError as exc:
        raise SamlRejected(reasons.ENCRYPTED_UNSUPPORTED, str(exc)) from exc


def response_parse(settings: dict, encoded: str, decryption_keys: KeySource = None) -> OneLogin_Saml2_Response:
    try:
        return _library_parse(settings, encoded)
    except _KeyNeeded as exc:
        if decryption_keys is None:
            raise SamlRejected(reasons.ENCRYPTED_UNSUPPORTED, "no SP key was given to decrypt with") from exc
    except xmlsec.Error as exc:
        if decryption_keys is None:
            raise SamlRejected(reasons.DECRYPTION_FAILED, f"xmlsec: {exc}") from exc
    # An EncryptedAssertion: a plain response never gets here, so it never loads a key.
    return response_decrypt(settings, encoded, decryption_keys, parse=_library_parse)
