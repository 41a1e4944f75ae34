"""The dev IdP's Single Logout (``slo=True``) through its WSGI interface: it takes only an SP
LogoutRequest signed with the certificate the SP's metadata publishes, signs the person out, and
answers with a LogoutResponse signed by its own key (checked here with pysaml2)."""

import base64
import zlib
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree
from saml2.sigver import RSACrypto, verify_redirect_signature

from devidp import spfetch
from devidp.app import COOKIE, DevIdP
from devidp.saml import Person
from ssogroups.constants import BINDING_POST, BINDING_REDIRECT
from ssogroups.saml.config import saml_settings_build
from ssogroups.saml.logout import SessionClaims, SloEndpoint, logout_request_build, logout_settings_extend
from tests.devidp.conftest import IDP_BASE, SP_ACS, SP_ENTITY, call
from tests.support.keys import make_keypair, shared_keypair

SP_SLO = "http://localhost:8000/api/v1/users/saml/7/devidp/slo"
NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion"}


def sp_metadata_with_slo(cert_b64: str) -> bytes:
    return (
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{SP_ENTITY}">'
        '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</md:KeyDescriptor>"
        f'<md:SingleLogoutService Binding="{BINDING_REDIRECT}" Location="{SP_SLO}"/>'
        f'<md:AssertionConsumerService Binding="{spfetch.BINDING_POST}" Location="{SP_ACS}" index="0"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    ).encode()


@pytest.fixture
def sp_keys():
    return shared_keypair("devidp-slo-sp")


@pytest.fixture
def slo_idp(state_dir, sp_keys) -> DevIdP:
    app = DevIdP(base_url=IDP_BASE, state_dir=state_dir, slo=True)
    published = {SP_ENTITY: sp_metadata_with_slo(sp_keys.cert_b64)}

    def fetch(url: str) -> bytes:
        if url not in published:
            raise spfetch.SPError(spfetch.MSG_STATUS.format(url=url, status=404))
        return published[url]

    app.slo_fetch = fetch
    return app


def sp_logout_request(keys, *, binding: str):
    """The SP's signed LogoutRequest, built by sparksso's own builder (what the dev IdP must accept)."""
    settings = saml_settings_build(
        sp_entity_id=SP_ENTITY,
        acs_url=SP_ACS,
        idp_entity_id=f"{IDP_BASE}/metadata",
        sso_endpoint=None,
        certificates_pem=[],
        signature_requirement="either",
        allow_sha1=False,
        name_id_format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    )
    endpoint = SloEndpoint(binding, f"{IDP_BASE}/slo")
    settings = logout_settings_extend(
        settings, sp_slo_url=SP_SLO, endpoint=endpoint, private_key_pem=keys.key_pem, certificate_pem=keys.cert_pem
    )
    return logout_request_build(
        settings=settings, endpoint=endpoint, session=SessionClaims(name_id="alice@example.com", session_index="s1")
    )


def signed_in(app: DevIdP) -> str:
    key = app.store.session_start(Person(email="alice@example.com"))
    return f"{COOKIE}={key}"


def test_slo_is_published_only_when_on(idp, slo_idp):
    assert "SingleLogoutService" not in call(idp, "GET", "/metadata").body
    assert call(idp, "GET", "/slo").status == 404
    metadata = call(slo_idp, "GET", "/metadata").body
    assert f'Binding="{BINDING_REDIRECT}" Location="{IDP_BASE}/slo"' in metadata
    assert f'Binding="{BINDING_POST}" Location="{IDP_BASE}/slo"' in metadata


def test_a_signed_sp_logout_request_signs_out_and_is_answered_signed(slo_idp, sp_keys):
    cookie = signed_in(slo_idp)
    outgoing = sp_logout_request(sp_keys, binding=BINDING_REDIRECT)
    query = {k: v[0] for k, v in parse_qs(urlsplit(outgoing.url).query).items()}

    answer = call(slo_idp, "GET", "/slo", query=query, cookie=cookie)

    assert answer.status == 303
    assert slo_idp.store.session_get(cookie.split("=", 1)[1]) is None
    assert any("Max-Age=0" in c for c in answer.cookies)
    location = answer.headers["Location"]
    assert location.startswith(f"{SP_SLO}?SAMLResponse=")
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    server_sec = _pysaml2_backend()
    assert verify_redirect_signature(params, server_sec, cert=slo_idp.keys.cert_b64)
    response = etree.fromstring(zlib.decompress(base64.b64decode(params["SAMLResponse"]), -15))
    assert response.get("InResponseTo") == outgoing.message_id
    assert response.get("Destination") == SP_SLO
    assert response.find("samlp:Status/samlp:StatusCode", NS).get("Value").endswith(":Success")


def test_the_post_binding_is_taken_too(slo_idp, sp_keys):
    outgoing = sp_logout_request(sp_keys, binding=BINDING_POST)
    answer = call(slo_idp, "POST", "/slo", form={"SAMLRequest": outgoing.value}, cookie=signed_in(slo_idp))
    assert answer.status == 303
    assert answer.headers["Location"].startswith(f"{SP_SLO}?SAMLResponse=")


@pytest.mark.parametrize("case", ["unsigned", "other-key"])
def test_an_sp_logout_request_not_signed_by_the_published_key_is_refused(slo_idp, sp_keys, case):
    cookie = signed_in(slo_idp)
    keys = make_keypair("Not the SP") if case == "other-key" else sp_keys
    outgoing = sp_logout_request(keys, binding=BINDING_REDIRECT)
    query = {k: v[0] for k, v in parse_qs(urlsplit(outgoing.url).query).items()}
    if case == "unsigned":
        query.pop("Signature"), query.pop("SigAlg")

    answer = call(slo_idp, "GET", "/slo", query=query, cookie=cookie)

    assert answer.status == 400
    expected = "is not signed" if case == "unsigned" else "does not verify with the SP's published certificate"
    assert expected in unescape(answer.body)
    assert slo_idp.store.session_get(cookie.split("=", 1)[1]) is not None  # still signed in to the IdP


def _pysaml2_backend() -> RSACrypto:
    return RSACrypto(None)  # verifies with the certificate passed, nothing else
