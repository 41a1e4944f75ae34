"""The pure settings builder: every security flag is explicit and follows the group's policy."""

import pytest

from ssogroups.constants import BINDING_POST, BINDING_REDIRECT
from ssogroups.saml.config import SsoEndpoint, saml_settings_build, sso_endpoint_choose

BASE = {
    "sp_entity_id": "https://sp.example/api/v1/users/saml/1/g/metadata",
    "acs_url": "https://sp.example/api/v1/users/saml/1/g/consume",
    "idp_entity_id": "https://idp.example/saml",
    "sso_endpoint": SsoEndpoint(BINDING_REDIRECT, "https://idp.example/sso"),
    "certificates_pem": ["CERT-A", "CERT-B"],
    "signature_requirement": "either",
    "allow_sha1": False,
    "name_id_format": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
}
SECURITY_KEYS = {
    "nameIdEncrypted",
    "authnRequestsSigned",
    "logoutRequestSigned",
    "logoutResponseSigned",
    "signMetadata",
    "wantMessagesSigned",
    "wantAssertionsSigned",
    "wantAssertionsEncrypted",
    "wantNameIdEncrypted",
    "wantNameId",
    "wantAttributeStatement",
    "allowRepeatAttributeName",
    "rejectDeprecatedAlgorithm",
    "signatureAlgorithm",
    "digestAlgorithm",
    "requestedAuthnContext",
    "requestedAuthnContextComparison",
    "failOnAuthnContextMismatch",
    "metadataValidUntil",
    "metadataCacheDuration",
    "allowSingleLabelDomains",
}


def test_defaults_are_strict_and_explicit():
    settings = saml_settings_build(**BASE)
    assert settings["strict"] is True and settings["debug"] is False
    assert set(settings["security"]) == SECURITY_KEYS
    assert settings["security"]["rejectDeprecatedAlgorithm"] is True
    assert settings["security"]["wantNameId"] is True
    assert settings["idp"]["x509certMulti"] == {"signing": ["CERT-A", "CERT-B"], "encryption": []}
    assert settings["idp"]["x509cert"] == "" and settings["idp"]["certFingerprint"] == ""
    assert settings["sp"]["entityId"] == BASE["sp_entity_id"]
    assert settings["sp"]["assertionConsumerService"]["url"] == BASE["acs_url"]


@pytest.mark.parametrize(
    ("requirement", "assertion", "response"),
    [("either", False, False), ("assertion", True, False), ("response", False, True), ("both", True, True)],
)
def test_signature_requirement(requirement, assertion, response):
    security = saml_settings_build(**{**BASE, "signature_requirement": requirement})["security"]
    assert (security["wantAssertionsSigned"], security["wantMessagesSigned"]) == (assertion, response)


def test_allow_sha1_and_identity_attribute():
    built = saml_settings_build(**{**BASE, "allow_sha1": True, "identity_attribute": "uid"})
    assert built["security"]["rejectDeprecatedAlgorithm"] is False
    assert built["security"]["wantNameId"] is False
    # Identified by an attribute: the AuthnRequest and SP metadata ask for no NameID format in particular.
    assert built["sp"]["NameIDFormat"] == "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
    assert saml_settings_build(**BASE)["sp"]["NameIDFormat"] == BASE["name_id_format"]


def test_endpoint_choice():
    post = {"binding": BINDING_POST, "location": "https://idp/post"}
    redirect = {"binding": BINDING_REDIRECT, "location": "https://idp/redirect"}
    assert (
        sso_endpoint_choose(sso_url="", sso_binding="", sso_endpoints=[post, redirect]).location
        == "https://idp/redirect"
    )
    assert sso_endpoint_choose(sso_url="", sso_binding="", sso_endpoints=[post]).binding == BINDING_POST
    assert sso_endpoint_choose(sso_url="https://idp/x", sso_binding=BINDING_REDIRECT, sso_endpoints=[]).location == (
        "https://idp/x"
    )
    assert (
        sso_endpoint_choose(sso_url="", sso_binding="", sso_endpoints=[{"binding": "other", "location": "x"}]) is None
    )


def test_our_key_and_signing_are_explicit():
    from ssogroups.sp_keys import SPKeyPair

    key = SPKeyPair(id=1, private_key_pem="KEY", certificate_pem="CERT", not_after=None, state="current")
    unsigned = saml_settings_build(**BASE)
    assert unsigned["security"]["authnRequestsSigned"] is False
    assert (unsigned["sp"]["x509cert"], unsigned["sp"]["privateKey"], unsigned["sp"]["x509certNew"]) == ("", "", "")
    # Asked to sign without a key: not signed (python3-saml would refuse the settings).
    assert saml_settings_build(**BASE, sign_authn_requests=True)["security"]["authnRequestsSigned"] is False
    signed = saml_settings_build(
        **BASE, sp_key=key, sp_next_certificate_pem="NEXT", sign_authn_requests=True, slo_url="https://sp/slo"
    )
    assert signed["security"]["authnRequestsSigned"] is True
    assert signed["security"]["signatureAlgorithm"] == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    assert (signed["sp"]["x509cert"], signed["sp"]["privateKey"], signed["sp"]["x509certNew"]) == (
        "CERT",
        "KEY",
        "NEXT",
    )
    assert signed["sp"]["singleLogoutService"]["url"] == "https://sp/slo"
    assert "KEY" not in repr(key)
