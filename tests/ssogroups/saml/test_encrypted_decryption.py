"""The decryption adjustment decrypts exactly as python3-saml's own decrypt_element, and the
encrypted-assertion benchmark runs (no timing asserted)."""

import pytest
import xmlsec
from lxml import etree
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from ssogroups.saml import decryption
from tests.ssogroups.saml.encryptor import XENC, element_encrypt
from tests.ssogroups.saml.test_bench import _bench
from tests.support.keys import make_keypair, shared_keypair

ASSERTION = b'<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a">x</saml:Assertion>'


def _encrypted(cert_pem: str) -> etree._Element:
    return element_encrypt(etree.fromstring(ASSERTION), cert_pem, key_transport="rsa-oaep-sha256", content="aes256-gcm")


def test_cached_and_original_decrypt_element_agree():
    sp = shared_keypair("saml-sp-encryption")
    assert OneLogin_Saml2_Utils.decrypt_element is decryption._decrypt_element_cached  # installed by ready()
    cached = decryption._decrypt_element_cached(_encrypted(sp.cert_pem), sp.key_pem)
    again = decryption._decrypt_element_cached(_encrypted(sp.cert_pem), sp.key_pem)  # the reused manager
    original = decryption._ORIGINAL_DECRYPT_ELEMENT(_encrypted(sp.cert_pem), sp.key_pem)
    assert etree.tostring(cached) == etree.tostring(again) == etree.tostring(original) == ASSERTION


def test_a_cached_manager_never_opens_what_another_key_encrypted():
    sp, other = shared_keypair("saml-sp-encryption"), make_keypair("another SP")
    decryption._decrypt_element_cached(_encrypted(sp.cert_pem), sp.key_pem)
    with pytest.raises(xmlsec.Error, match="failed to decrypt"):
        decryption._decrypt_element_cached(_encrypted(other.cert_pem), sp.key_pem)
    assert _encrypted(sp.cert_pem).tag == f"{{{XENC}}}EncryptedData"


@pytest.mark.bench
def test_encrypted_acs_benchmark_reports_against_the_plain_baseline():
    result = _bench("--only", "acs_encrypted", "--iterations", "2", "--rounds", "1")
    assert result.returncode == 0, result.stderr
    assert "plain signed assertion" in result.stdout and "baseline" in result.stdout
    assert "encrypted to the previous key (current tried first)" in result.stdout
