"""Guards the lxml/xmlsec pairing: a libxml2 mismatch fails here, not in production."""

import pytest
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from tests.support.keys import make_keypair

XML = (
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" '
    'IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>https://idp.example</saml:Issuer></samlp:Response>'
)


def test_xmlsec_signature_round_trip_verifies_and_detects_tampering():
    import onelogin.saml2  # noqa: F401  (the import itself is what fails on a mismatched pair)

    idp = make_keypair("stack-check")
    signed = OneLogin_Saml2_Utils.add_sign(
        XML,
        idp.key_pem,
        idp.cert_pem,
        sign_algorithm=OneLogin_Saml2_Constants.RSA_SHA256,
        digest_algorithm=OneLogin_Saml2_Constants.SHA256,
    )
    assert b"SignatureValue" in signed
    assert OneLogin_Saml2_Utils.validate_sign(signed, idp.cert_pem, raise_exceptions=True) is True

    other = make_keypair("someone-else")
    assert OneLogin_Saml2_Utils.validate_sign(signed, other.cert_pem) is False
    tampered = signed.replace(b"https://idp.example", b"https://evil.example")
    assert OneLogin_Saml2_Utils.validate_sign(tampered, idp.cert_pem) is False


def test_lxml_and_xmlsec_run_on_the_same_libxml2():
    """The failure this pin prevents is a libxml2 mismatch between the two wheels: check that itself."""
    import xmlsec
    from lxml import etree

    assert xmlsec.get_libxml_version() == etree.LIBXML_VERSION
    assert xmlsec.get_libxml_compiled_version() == etree.LIBXML_COMPILED_VERSION


def test_a_document_that_is_not_xml_is_an_xml_syntax_error():
    from lxml.etree import XMLSyntaxError

    with pytest.raises(XMLSyntaxError):
        OneLogin_Saml2_Utils.validate_sign(b"<not-xml", "", raise_exceptions=True)
