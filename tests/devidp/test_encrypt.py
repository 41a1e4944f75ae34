"""The dev IdP's "Encrypt the assertion" option: it encrypts to the certificate in sparksso's SP metadata,
and sparksso's real ACS decrypts and signs the user in with every signing option."""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from devidp import spfetch
from devidp.encrypt import encryption_certificate
from ssogroups.models import SSOLoginFailure
from tests.devidp.conftest import SP_ENTITY, call, sp_metadata
from tests.devidp.test_through_the_acs import ALICE, _field, _path, _tile, connected  # noqa: F401 (fixture)
from tests.support.keys import shared_keypair


@pytest.fixture
def sp_key_files(settings, tmp_path):
    """A real SP key from files (SP_KEY_FILE/SP_CERT_FILE): no RSA-3072 generation per test."""
    pair = shared_keypair("devidp-sp-encryption")
    (tmp_path / "sp-key.pem").write_text(pair.key_pem)
    (tmp_path / "sp-cert.pem").write_text(pair.cert_pem)
    settings.SP_KEY_FILE, settings.SP_CERT_FILE = str(tmp_path / "sp-key.pem"), str(tmp_path / "sp-cert.pem")
    return pair


@pytest.fixture
def encrypting(connected, sp_key_files):  # noqa: F811 (the fixture imported above)
    """The dev IdP reads the encryption certificate from sparksso's real SP metadata view."""
    idp, group = connected
    sp_client = Client()
    idp.sp_certificate = lambda entity_id: encryption_certificate(
        sp_client.get(_path(entity_id)).content, url=entity_id
    )
    return idp, group


def test_the_certificate_comes_from_sparksso_sp_metadata(encrypting, sp_key_files):
    idp, group = encrypting
    assert "".join(idp.sp_certificate(group.sp_entity_id).split()) == "".join(sp_key_files.cert_pem.split())


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_sp_initiated_sign_in_with_an_encrypted_assertion(encrypting, sign):
    idp, group = encrypting
    browser = Client()
    started = browser.get(f"/api/v1/users/saml/{group.account_id}/devidp/login")
    query = {k: v[0] for k, v in parse_qs(urlsplit(started["Location"]).query).items()}
    page = call(idp, "GET", "/sso", query=query)
    assert 'name="encrypt"' in page.body
    form = {"pending": _field(page.body, "pending"), "email": ALICE, "sign": sign, "encrypt": "on"}
    answer = call(idp, "POST", "/sso/answer", form=form)
    saml_response = _field(answer.body, "SAMLResponse")
    xml = base64.b64decode(saml_response).decode()
    assert "EncryptedAssertion" in xml and ALICE not in xml

    posted = browser.post(_path(group.acs_url), {"SAMLResponse": saml_response})

    assert posted.status_code == 302, SSOLoginFailure.objects.values_list("reason", "detail")
    assert browser.get("/api/v1/session").json()["username"] == ALICE


def test_a_broken_encrypted_response_is_still_refused_for_its_reason(encrypting):
    idp, group = encrypting
    browser = Client()
    refused = browser.post(
        _path(group.acs_url), {"SAMLResponse": _tile(idp, group, breakage="wrong_audience", encrypt="on")}
    )
    assert refused.status_code == 403
    assert SSOLoginFailure.objects.get(group=group).reason == "wrong_audience"


def test_metadata_without_an_encryption_certificate_gets_a_clear_page(idp):
    idp.sp_certificate = lambda entity_id: encryption_certificate(sp_metadata(), url=entity_id)
    idp.store.sp_seen(SP_ENTITY)
    cookie = call(idp, "POST", "/", form={"email": ALICE}).cookies[0].split(";")[0]
    answer = call(idp, "POST", "/launch", form={"sp": SP_ENTITY, "encrypt": "on"}, cookie=cookie)
    assert answer.status == 502
    assert "publishes no encryption certificate" in answer.body
    assert "SAMLResponse" not in answer.body


def test_a_signing_only_key_descriptor_is_not_used_for_encryption(sp_key_files):
    body = "".join(line for line in sp_key_files.cert_pem.splitlines() if "-----" not in line)
    metadata = sp_metadata().replace(
        b'protocol">',
        b'protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        b"<ds:X509Data><ds:X509Certificate>" + body.encode() + b"</ds:X509Certificate></ds:X509Data>"
        b"</ds:KeyInfo></md:KeyDescriptor>",
        1,
    )
    with pytest.raises(spfetch.SPError, match="no encryption certificate"):
        encryption_certificate(metadata, url=SP_ENTITY)
    unqualified = metadata.replace(b' use="signing"', b"")
    assert body[:40] in "".join(encryption_certificate(unqualified, url=SP_ENTITY).split())
