"""Our SP metadata for one SSO group, built by python3-saml from the settings our AuthnRequests use.

One source for both: ``WantAssertionsSigned``, ``AuthnRequestsSigned``, ``NameIDFormat``, our
certificates and the SingleLogoutService in the metadata come from the same settings dict
(ssogroups.saml.config) that builds the requests and validates the responses, so an IdP importing
the metadata signs what we will check and verifies what we will sign.
"""

import copy
from xml.sax.saxutils import escape

from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.settings import OneLogin_Saml2_Settings

CONTENT_TYPE = "application/samlmetadata+xml"


def _attribute_text(value: str) -> str:
    # python3-saml pastes values into a string template without escaping.
    return escape(value, {'"': "&quot;"})


def sp_metadata_build(*, saml_settings: dict) -> bytes:
    """SP metadata XML from python3-saml's builder. Pure: settings in, bytes out.

    We publish no validUntil/cacheDuration (IdPs such as JumpCloud import metadata once; an
    expiry would make a later strict import fail). Our current certificate (and the next one during
    a rotation) is published for signing and for encryption: an IdP may encrypt to us whether or not
    the group requires it. The SingleLogoutService is offered on HTTP-Redirect and HTTP-POST.
    """
    settings = copy.deepcopy(saml_settings)
    sp = settings["sp"]
    slo_url = sp.get("singleLogoutService", {}).get("url", "")
    if slo_url:
        sp["singleLogoutService"]["url"] = _attribute_text(slo_url)
    else:
        sp.pop("singleLogoutService", None)
    sp["entityId"] = _attribute_text(sp["entityId"])
    sp["assertionConsumerService"]["url"] = _attribute_text(sp["assertionConsumerService"]["url"])
    sp["NameIDFormat"] = _attribute_text(sp["NameIDFormat"])
    settings["security"]["metadataValidUntil"] = ""
    settings["security"]["metadataCacheDuration"] = ""
    # python3-saml adds the encryption KeyDescriptors only when one of these is set; they change
    # nothing else in the metadata, and this copy validates nothing.
    settings["security"]["wantNameIdEncrypted"] = bool(sp.get("x509cert"))
    # The SP part is only our BASE_URL-derived URLs (checked at startup), so python3-saml's
    # settings check cannot fail here short of a programming error: no except.
    xml = OneLogin_Saml2_Settings(settings, sp_validation_only=True).get_sp_metadata()
    # Re-serialised: proves the document is well-formed and drops the template's blank lines.
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(xml if isinstance(xml, bytes) else xml.encode("utf-8"), parser)
    if slo_url:
        _slo_post_add(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _slo_post_add(root: etree._Element) -> None:
    """python3-saml writes one SingleLogoutService (HTTP-Redirect); the same URL takes HTTP-POST too."""
    md = C.NS_MD
    redirect = root.find(f"{{{md}}}SPSSODescriptor/{{{md}}}SingleLogoutService")
    post = etree.Element(f"{{{md}}}SingleLogoutService", nsmap=None)
    post.set("Binding", C.BINDING_HTTP_POST)
    post.set("Location", redirect.get("Location"))
    redirect.addnext(post)
