"""Our SP metadata with keys: schema-valid for every policy combination, and saying what we do."""

import base64
import itertools
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import onelogin.saml2
import pytest
from lxml import etree

from ssogroups import sp_key_rotation, sp_keys
from ssogroups.constants import BINDING_POST, BINDING_REDIRECT
from ssogroups.models import SSOGroup, SSOLoginFailure
from tests.support.keys import shared_keypair

SCHEMA_PATH = Path(onelogin.saml2.__file__).parent / "schemas" / "saml-schema-metadata-2.0.xsd"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
WANT_ASSERTIONS_SIGNED = {"either": "false", "assertion": "true", "response": "false", "both": "true"}
COMBINATIONS = list(
    itertools.product(
        [c.value for c in SSOGroup.SignatureRequirement],  # the group's signature requirement
        [False, True],  # the IdP's metadata: WantAuthnRequestsSigned
        [False, True],  # the group's policy: sign requests
        [False, True],  # a rotation under way (a next key published)
    )
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def _b64(pem: str) -> str:
    return "".join(line for line in pem.splitlines() if "-----" not in line)


def _signed(response) -> bool:
    """Did the sign-in start send a signed AuthnRequest (query signature or enveloped)?"""
    if response.status_code == 302:
        return "Signature" in parse_qs(urlsplit(response["Location"]).query)
    value = response.content.decode().split('name="SAMLRequest" value="')[1].split('"')[0]
    return etree.fromstring(base64.b64decode(value)).find(f"{DS}Signature") is not None


@pytest.mark.parametrize(("requirement", "idp_wants", "policy", "rotating"), COMBINATIONS)
def test_metadata_is_schema_valid_and_matches_behaviour(
    client, account, make_ssogroup, schema, requirement, idp_wants, policy, rotating
):
    group = make_ssogroup(
        account,
        slug="policy",
        signature_requirement=requirement,
        want_authn_requests_signed=idp_wants,
        sign_authn_requests=policy,
        sso_binding=BINDING_POST if rotating else BINDING_REDIRECT,  # both bindings across the matrix
        cert_pem=shared_keypair("saml-idp-main").cert_pem,
    )
    current = sp_keys.sp_key_current()
    nxt = sp_key_rotation.sp_key_rotate(actor="test") if rotating else None
    response = client.get(group.sp_metadata_url.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    schema.assertValid(root)
    (sp,) = root.findall(f"{MD}SPSSODescriptor")

    signs = idp_wants or policy
    assert sp.get("AuthnRequestsSigned") == ("true" if signs else "false")
    assert sp.get("WantAssertionsSigned") == WANT_ASSERTIONS_SIGNED[requirement]
    start = client.get(group.login_url.removeprefix("http://127.0.0.1:8000"))
    assert start.status_code == (200 if rotating else 302)
    assert _signed(start) is signs

    published = [
        (k.get("use"), k.find(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate").text)
        for k in sp.findall(f"{MD}KeyDescriptor")
    ]
    expected = [("signing", _b64(current.certificate_pem)), ("encryption", _b64(current.certificate_pem))]
    if nxt:
        expected += [("signing", _b64(nxt.certificate_pem)), ("encryption", _b64(nxt.certificate_pem))]
    assert published == expected

    slo = [(e.get("Binding"), e.get("Location")) for e in sp.findall(f"{MD}SingleLogoutService")]
    assert slo == [
        ("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", group.sp_slo_url),
        ("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", group.sp_slo_url),
    ]
    assert group.sp_slo_url == f"http://127.0.0.1:8000/api/v1/users/saml/{account.pk}/policy/slo"


def test_the_published_slo_url_is_the_slo_endpoint(client, account, make_ssogroup):
    """The URL our metadata publishes is the one Single Logout answers at (an empty call: logout_missing)."""
    group = make_ssogroup(account, slug="slo")
    path = group.sp_slo_url.removeprefix("http://127.0.0.1:8000")
    response = client.get(path)
    assert response.status_code == 400
    assert list(SSOLoginFailure.objects.filter(group=group).values_list("reason", flat=True)) == ["logout_missing"]


def test_an_unreadable_key_answers_503_not_500(client, account, make_ssogroup, settings):
    group = make_ssogroup(account, slug="keys")
    sp_keys.sp_key_current()
    settings.SECRET_KEY = "a different secret, long enough to be one: 0123456789abcdefghijklmnop"
    settings.SECRET_KEY_FALLBACKS = []
    response = client.get(group.sp_metadata_url.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 503
    assert response["Retry-After"] == "300"
    assert response.content.decode() == "Our SP key cannot be read at the moment; try again later."
