"""Signed AuthnRequests, verified by an independent IdP (pysaml2 + xmlsec1) with the certificate our SP
metadata publishes, on both bindings; unsigned when neither the IdP nor the group asks."""

import base64
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.request import IncorrectlySigned
from saml2.server import Server

from accounts.models import Event
from ssogroups import sp_key_rotation, sp_keys
from ssogroups.constants import BINDING_POST, BINDING_REDIRECT
from ssogroups.models import PendingAuthnRequest, SPKey, SSOLoginFailure
from tests.ssogroups.saml.idp import authn_request_from_redirect
from tests.support.keys import make_keypair, shared_keypair

IDP = "https://idp.signed.example/saml"
SSO = "https://idp.signed.example/sso"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

pytestmark = pytest.mark.django_db


def idp_server(tmp_path, sp_metadata: bytes) -> Server:
    """pysaml2 as an IdP that wants signed requests, knowing us only from our published metadata."""
    keys = shared_keypair("saml-idp-main")
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "key.pem").write_text(keys.key_pem)
    (tmp_path / "cert.pem").write_text(keys.cert_pem)
    (tmp_path / "sp.xml").write_bytes(sp_metadata)
    config = IdPConfig()
    config.load(
        {
            "entityid": IDP,
            "key_file": str(tmp_path / "key.pem"),
            "cert_file": str(tmp_path / "cert.pem"),
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "metadata": {"local": [str(tmp_path / "sp.xml")]},
            "service": {
                "idp": {
                    "endpoints": {"single_sign_on_service": [(SSO, BINDING_HTTP_REDIRECT), (SSO, BINDING_HTTP_POST)]},
                    "want_authn_requests_signed": True,
                }
            },
        }
    )
    return Server(config=config)


def published_metadata(client, group) -> bytes:
    response = client.get(group.sp_metadata_url.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200
    return response.content


def start(client, group):
    return client.get(group.login_url.removeprefix("http://127.0.0.1:8000"))


def post_form_request(response) -> str:
    assert response.status_code == 200
    (value,) = re.findall(r'name="SAMLRequest" value="([^"]+)"', response.content.decode())
    return html.unescape(value)


@pytest.fixture
def signed_group(account, make_ssogroup):
    def make(binding: str, **fields):
        return make_ssogroup(
            account,
            slug=f"signed-{binding.rsplit('-', 1)[-1].lower()}",
            idp_entity_id=IDP,
            sso_url=SSO,
            sso_binding=binding,
            cert_pem=shared_keypair("saml-idp-main").cert_pem,
            **fields,
        )

    return make


@pytest.mark.parametrize("why", [{"want_authn_requests_signed": True}, {"sign_authn_requests": True}])
def test_redirect_request_is_signed_and_the_idp_verifies_it_with_our_published_certificate(
    client, tmp_path, signed_group, why
):
    group = signed_group(BINDING_REDIRECT, **why)
    server = idp_server(tmp_path, published_metadata(client, group))
    response = start(client, group)
    assert response.status_code == 302
    url = response["Location"]
    query = parse_qs(urlsplit(url).query)
    assert list(query) == ["SAMLRequest", "SigAlg", "Signature"]  # the order the bindings spec signs
    assert query["SigAlg"] == [RSA_SHA256]
    parsed = server.parse_authn_request(
        query["SAMLRequest"][0], BINDING_HTTP_REDIRECT, sigalg=query["SigAlg"][0], signature=query["Signature"][0]
    )
    request_id = parsed.message.id
    assert PendingAuthnRequest.objects.filter(request_id=request_id, group=group).exists()
    assert parsed.message.issuer.text == group.sp_entity_id

    # The same verification fails for a changed query, or under another certificate: it is a real check.
    with pytest.raises(IncorrectlySigned):
        server.parse_authn_request(
            query["SAMLRequest"][0], BINDING_HTTP_REDIRECT, sigalg=query["SigAlg"][0], signature=_flipped(query)
        )
    other = make_keypair("not our SP")
    metadata = published_metadata(client, group).decode()
    current = sp_keys.sp_key_current()
    foreign = metadata.replace(_b64(current.certificate_pem), other.cert_b64).encode()
    with pytest.raises(IncorrectlySigned):
        idp_server(tmp_path / "other", foreign).parse_authn_request(
            query["SAMLRequest"][0], BINDING_HTTP_REDIRECT, sigalg=query["SigAlg"][0], signature=query["Signature"][0]
        )


def _b64(pem: str) -> str:
    return "".join(line for line in pem.splitlines() if "-----" not in line)


def _flipped(query) -> str:
    raw = bytearray(base64.b64decode(query["Signature"][0]))
    raw[10] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("why", [{"want_authn_requests_signed": True}, {"sign_authn_requests": True}])
def test_post_request_carries_an_enveloped_signature_the_idp_verifies(client, tmp_path, signed_group, why):
    group = signed_group(BINDING_POST, **why)
    server = idp_server(tmp_path / "a", published_metadata(client, group))
    saml_request = post_form_request(start(client, group))
    xml = etree.fromstring(base64.b64decode(saml_request))
    signature = xml.find(f"{DS}Signature")
    assert signature is not None
    assert signature.find(f"{DS}SignedInfo/{DS}SignatureMethod").get("Algorithm") == RSA_SHA256
    assert signature.find(f"{DS}SignedInfo/{DS}Reference").get("URI") == "#" + xml.get("ID")
    assert xml.index(signature) == 1  # right after the Issuer, as the schema wants
    parsed = server.parse_authn_request(saml_request, BINDING_HTTP_POST)
    assert parsed.message.id == xml.get("ID")

    # A changed request (a different ACS) no longer verifies.
    tampered = base64.b64decode(saml_request).replace(
        b'AssertionConsumerServiceURL="http', b'AssertionConsumerServiceURL="ftp'
    )
    with pytest.raises(IncorrectlySigned):
        server.parse_authn_request(base64.b64encode(tampered).decode(), BINDING_HTTP_POST)


@pytest.mark.parametrize("binding", [BINDING_REDIRECT, BINDING_POST])
def test_unsigned_when_neither_the_idp_nor_the_policy_asks(client, signed_group, binding):
    group = signed_group(binding)
    response = start(client, group)
    if binding == BINDING_REDIRECT:
        xml, query = authn_request_from_redirect(response["Location"])
        assert set(query) == {"SAMLRequest"}
    else:
        xml = etree.fromstring(base64.b64decode(post_form_request(response)))
    assert xml.find(f"{DS}Signature") is None
    metadata = etree.fromstring(published_metadata(client, group))
    assert metadata.find(f"{MD}SPSSODescriptor").get("AuthnRequestsSigned") == "false"


def test_signing_uses_the_current_key_during_a_rotation(client, tmp_path, signed_group):
    group = signed_group(BINDING_REDIRECT, sign_authn_requests=True)
    first = sp_keys.sp_key_current()
    sp_key_rotation.sp_key_rotate(actor="test")
    query = parse_qs(urlsplit(start(client, group)["Location"]).query)
    metadata = published_metadata(client, group)
    # Both published; verified by an IdP that knows only the current one as well.
    only_current = metadata.replace(
        _b64(sp_keys.sp_key_next().certificate_pem).encode(), _b64(first.certificate_pem).encode()
    )
    for name, document in (("both", metadata), ("current", only_current)):
        idp_server(tmp_path / name, document).parse_authn_request(
            query["SAMLRequest"][0], BINDING_HTTP_REDIRECT, sigalg=query["SigAlg"][0], signature=query["Signature"][0]
        )


def test_an_unreadable_key_refuses_the_start_with_a_reason_and_writes_nothing(client, settings, signed_group):
    group = signed_group(BINDING_REDIRECT, sign_authn_requests=True)
    sp_keys.sp_key_current()
    settings.SECRET_KEY = "another secret entirely, and the old one is not among the fallbacks"
    settings.SECRET_KEY_FALLBACKS = []
    before = PendingAuthnRequest.objects.count()
    response = start(client, group)
    assert response.status_code == 400
    assert "We could not sign you in with single sign-on." in response.content.decode()
    assert PendingAuthnRequest.objects.count() == before
    (failure,) = Event.objects.filter(event="sso_login_failure")
    assert (failure.reason, failure.outcome) == ("group_misconfigured", "failure")
    row = SSOLoginFailure.objects.get()
    assert (
        row.detail
        == f"SP key {SPKey.objects.get().pk} cannot be decrypted with SECRET_KEY or any of SECRET_KEY_FALLBACKS."
    )
    assert SPKey.objects.count() == 1
