"""The public SP metadata document: schema-valid SAML 2.0 metadata with what IdPs need."""

from pathlib import Path

import onelogin.saml2
import pytest
from lxml import etree

from ssogroups.spmetadata import sp_metadata_build

SCHEMA_PATH = Path(onelogin.saml2.__file__).parent / "schemas" / "saml-schema-metadata-2.0.xsd"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"


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
    xml = sp_metadata_build(entity_id='https://sp.example/a?b=1&c="2"', acs_url="https://sp.example/acs?x=<y>")
    root = etree.fromstring(xml)
    schema.assertValid(root)
    assert root.get("entityID") == 'https://sp.example/a?b=1&c="2"'


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
    assert (sp.get("WantAssertionsSigned"), sp.get("AuthnRequestsSigned")) == ("true", "false")
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
