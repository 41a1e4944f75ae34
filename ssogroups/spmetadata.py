"""Our SP metadata for one SSO group, as SAML 2.0 metadata XML. Pure: values in, bytes out."""

from lxml import etree

from ssogroups.constants import BINDING_POST, NAMEID_EMAIL, NS_MD, SAML2_PROTOCOL

CONTENT_TYPE = "application/samlmetadata+xml"


def sp_metadata_build(*, entity_id: str, acs_url: str, name_id_format: str = NAMEID_EMAIL) -> bytes:
    """SPSSODescriptor with one HTTP-POST ACS; we require signed assertions and send unsigned requests."""
    md = f"{{{NS_MD}}}"
    entity = etree.Element(md + "EntityDescriptor", nsmap={"md": NS_MD}, entityID=entity_id)
    sp = etree.SubElement(
        entity,
        md + "SPSSODescriptor",
        protocolSupportEnumeration=SAML2_PROTOCOL,
        AuthnRequestsSigned="false",
        WantAssertionsSigned="true",
    )
    etree.SubElement(sp, md + "NameIDFormat").text = name_id_format
    etree.SubElement(
        sp, md + "AssertionConsumerService", Binding=BINDING_POST, Location=acs_url, index="0", isDefault="true"
    )
    return etree.tostring(entity, xml_declaration=True, encoding="UTF-8", pretty_print=True)
