"""Our SP metadata for one SSO group, built by python3-saml from the settings our AuthnRequests use.

One source for both: ``WantAssertionsSigned``, ``AuthnRequestsSigned`` and ``NameIDFormat`` in
the metadata come from the same settings dict (ssogroups.saml.config) that builds the requests
and validates the responses, so an IdP importing the metadata signs what we will check.
"""

import copy
from xml.sax.saxutils import escape

from lxml import etree
from onelogin.saml2.settings import OneLogin_Saml2_Settings

CONTENT_TYPE = "application/samlmetadata+xml"


def _attribute_text(value: str) -> str:
    # python3-saml pastes values into a string template without escaping.
    return escape(value, {'"': "&quot;"})


def sp_metadata_build(*, saml_settings: dict) -> bytes:
    """SP metadata XML from python3-saml's builder. Pure: settings in, bytes out.

    We publish no validUntil/cacheDuration (IdPs such as JumpCloud import metadata once; an
    expiry would make a later strict import fail) and no SingleLogoutService (we offer none).
    """
    settings = copy.deepcopy(saml_settings)
    sp = settings["sp"]
    sp.pop("singleLogoutService", None)
    sp["entityId"] = _attribute_text(sp["entityId"])
    sp["assertionConsumerService"]["url"] = _attribute_text(sp["assertionConsumerService"]["url"])
    sp["NameIDFormat"] = _attribute_text(sp["NameIDFormat"])
    settings["security"]["metadataValidUntil"] = ""
    settings["security"]["metadataCacheDuration"] = ""
    # The SP part is only our BASE_URL-derived URLs (checked at startup), so python3-saml's
    # settings check cannot fail here short of a programming error: no except.
    xml = OneLogin_Saml2_Settings(settings, sp_validation_only=True).get_sp_metadata()
    # Re-serialised: proves the document is well-formed and drops the template's blank lines.
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(xml if isinstance(xml, bytes) else xml.encode("utf-8"), parser)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
