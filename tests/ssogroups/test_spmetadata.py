"""The public SP metadata document: schema-valid SAML 2.0 metadata with what IdPs need."""

from pathlib import Path

import onelogin.saml2
import pytest
from lxml import etree

from ssogroups.models import SSOGroup
from ssogroups.saml.config import saml_settings_build
from ssogroups.spmetadata import sp_metadata_build
from tests.ssogroups.saml.idp import authn_request_from_redirect
from tests.support.keys import shared_keypair

SCHEMA_PATH = Path(onelogin.saml2.__file__).parent / "schemas" / "saml-schema-metadata-2.0.xsd"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
NAMEID_FORMATS = [
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
]
# The group's signature policy -> what the metadata must ask the IdP to sign.
WANT_ASSERTIONS_SIGNED = {"either": "false", "assertion": "true", "response": "false", "both": "true"}


def _settings(*, entity_id: str, acs_url: str, signature_requirement: str = "assertion", name_id_format: str = ""):
    return saml_settings_build(
        sp_entity_id=entity_id,
        acs_url=acs_url,
        idp_entity_id="",
        sso_endpoint=None,
        certificates_pem=[],
        signature_requirement=signature_requirement,
        allow_sha1=False,
        name_id_format=name_id_format,
    )


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def test_the_schema_rejects_an_invalid_document(schema):
    """Guard: the validation below can fail (an SPSSODescriptor needs an AssertionConsumerService)."""
    bad = etree.fromstring(
        b'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">'
        b'<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'
        b"</md:EntityDescriptor>"
    )
    assert schema.validate(bad) is False


def test_built_metadata_is_schema_valid_even_with_odd_characters(schema):
    xml = sp_metadata_build(
        saml_settings=_settings(entity_id='https://sp.example/a?b=1&c="2"', acs_url="https://sp.example/acs?x=<y>")
    )
    root = etree.fromstring(xml)
    schema.assertValid(root)
    assert root.get("entityID") == 'https://sp.example/a?b=1&c="2"'
    assert root.find(f"{MD}SPSSODescriptor/{MD}AssertionConsumerService").get("Location") == (
        "https://sp.example/acs?x=<y>"
    )
    # python3-saml's defaults (2-day validUntil, 1-week cacheDuration) are not published.
    assert (root.get("validUntil"), root.get("cacheDuration")) == (None, None)
    assert root.findall(f"{MD}SPSSODescriptor/{MD}SingleLogoutService") == []


def test_sp_metadata_view_is_public_and_valid(client, account, make_ssogroup, schema):
    group = make_ssogroup(account, slug="jumpcloud", enabled=False)
    response = client.get(f"/api/v1/users/saml/{account.pk}/jumpcloud/metadata")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/samlmetadata+xml"
    root = etree.fromstring(response.content)
    schema.assertValid(root)
    base = f"http://127.0.0.1:8000/api/v1/users/saml/{account.pk}/jumpcloud"
    assert root.tag == f"{MD}EntityDescriptor"
    assert root.get("entityID") == f"{base}/metadata" == group.sp_entity_id
    (sp,) = root.findall(f"{MD}SPSSODescriptor")
    assert sp.get("protocolSupportEnumeration") == "urn:oasis:names:tc:SAML:2.0:protocol"
    # The default policy ("either") accepts a signed response alone, so it does not demand assertions.
    assert (sp.get("WantAssertionsSigned"), sp.get("AuthnRequestsSigned")) == ("false", "false")
    assert [e.text for e in sp.findall(f"{MD}NameIDFormat")] == [
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    ]
    (acs,) = sp.findall(f"{MD}AssertionConsumerService")
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    assert acs.get("Location") == f"{base}/consume" == group.acs_url


def test_sp_metadata_ignores_the_host_header(client, account, make_ssogroup):
    make_ssogroup(account, slug="jumpcloud")
    response = client.get(f"/api/v1/users/saml/{account.pk}/jumpcloud/metadata", HTTP_HOST="localhost")
    assert b'entityID="http://127.0.0.1:8000/api/' in response.content


def test_unknown_account_or_slug_is_404(client, account, make_account, make_ssogroup):
    make_ssogroup(account, slug="jumpcloud")
    other, _ = make_account()
    assert client.get(f"/api/v1/users/saml/{account.pk}/nope/metadata").status_code == 404
    assert client.get(f"/api/v1/users/saml/{other.pk}/jumpcloud/metadata").status_code == 404
    assert client.get("/api/v1/users/saml/999999/jumpcloud/metadata").status_code == 404
    assert client.post(f"/api/v1/users/saml/{account.pk}/jumpcloud/metadata").status_code == 405
    assert client.head(f"/api/v1/users/saml/{account.pk}/jumpcloud/metadata").status_code == 200


@pytest.mark.parametrize("name_id_format", NAMEID_FORMATS)
@pytest.mark.parametrize("policy", [choice.value for choice in SSOGroup.SignatureRequirement])
def test_metadata_agrees_with_the_group_policy_and_its_authn_requests(
    client, account, make_ssogroup, schema, policy, name_id_format
):
    """What the metadata asks the IdP for is what the AuthnRequests ask for and what the ACS checks."""
    group = make_ssogroup(
        account,
        slug="policy",
        signature_requirement=policy,
        name_id_format=name_id_format,
        cert_pem=shared_keypair("saml-idp-main").cert_pem,
    )
    root = etree.fromstring(client.get(f"/api/v1/users/saml/{account.pk}/policy/metadata").content)
    schema.assertValid(root)
    (sp,) = root.findall(f"{MD}SPSSODescriptor")
    assert sp.get("WantAssertionsSigned") == WANT_ASSERTIONS_SIGNED[policy]
    assert sp.get("AuthnRequestsSigned") == "false"  # we hold no SP key: requests are never signed
    assert [e.text for e in sp.findall(f"{MD}NameIDFormat")] == [name_id_format]

    start = client.get(group.login_url.removeprefix("http://127.0.0.1:8000"))
    assert start.status_code == 302
    request_xml, _ = authn_request_from_redirect(start["Location"])
    assert request_xml.find(f"{SAMLP}NameIDPolicy").get("Format") == name_id_format
    assert request_xml.get("AssertionConsumerServiceURL") == sp.find(f"{MD}AssertionConsumerService").get("Location")
    assert "Signature" not in request_xml.attrib and request_xml.find("{*}Signature") is None
