"""The XML attacks of test_acs_rejections and test_acs_malformed, carried inside (or around) an
EncryptedAssertion: wrapping, comments in the NameID, DOCTYPE/entities, oversize, weak algorithms."""

import copy

import pytest
import xmlsec
from lxml import etree

from ssogroups.saml.decryption import NOT_AN_ASSERTION, PLAINTEXT_FORBIDDEN, PLAINTEXT_MALFORMED
from ssogroups.saml.response_parse import MAX_RESPONSE_BYTES
from tests.ssogroups.saml.conftest import acs_post, counts
from tests.ssogroups.saml.encryptor import XENC, _template, assertion_encrypt, encrypted_response
from tests.ssogroups.saml.idp import NS, sp_of
from tests.ssogroups.saml.test_acs_rejections import (
    _evil_copy,
    _wrap_evil_assertion_added,
    _wrap_signed_assertion_inside_evil,
    _wrap_signed_assertion_moved,
    _wrap_signed_response_inside_evil,
    assert_refused,
)

VICTIM = "admin@example.com"


@pytest.fixture
def victim(account, make_user, group):
    return make_user(account, VICTIM, sso_group=group)


def _encrypt_direct_assertion(xml: str, cert_pem: str) -> str:
    tree = etree.fromstring(xml.encode())
    assertion_encrypt(tree, cert_pem, key_transport="rsa-oaep-sha256", content="aes256-gcm")
    return etree.tostring(tree).decode()


@pytest.mark.parametrize(
    ("wrap", "sign_assertion", "sign_response"),
    [
        (_wrap_evil_assertion_added, True, False),
        (_wrap_signed_assertion_moved, True, False),
        (_wrap_signed_assertion_inside_evil, True, False),
        (_wrap_signed_response_inside_evil, False, True),
    ],
    ids=["evil-assertion-added", "signed-assertion-moved", "signed-assertion-inside-evil", "signed-response-wrapped"],
)
def test_signature_wrapping_with_the_assertion_encrypted_is_refused(
    client, idp, group, alice, victim, sp_key, wrap, sign_assertion, sign_response
):
    """The classic wrappings, then the Response's direct assertion encrypted (evil or signed, as placed)."""
    before = counts()
    xml = idp.response(
        sp_of(group), name_id="alice@example.com", sign_assertion=sign_assertion, sign_response=sign_response
    )
    wrapped = _encrypt_direct_assertion(wrap(xml, VICTIM), sp_key.cert_pem)
    assert "EncryptedAssertion" in wrapped
    assert_refused(client, acs_post(client, group, wrapped), group, "signature_structure", before=before)


def test_plain_evil_assertion_beside_a_signed_encrypted_one_is_refused(client, idp, group, alice, victim, sp_key):
    def add_evil(tree):
        plain = etree.fromstring(idp.response(sp_of(group), name_id="x@example.com", sign_assertion=False).encode())
        tree.append(_evil_copy(plain.find("saml:Assertion", NS), VICTIM))

    before = counts()
    xml = encrypted_response(
        idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="alice@example.com", mutate_encrypted=add_evil,
        sign_response=True,
    )  # fmt: skip
    assert_refused(client, acs_post(client, group, xml), group, "signature_structure", before=before)


def test_second_encrypted_assertion_is_refused(client, idp, group, alice, victim, sp_key):
    """A signed, encrypted assertion for alice and an unsigned one, encrypted to us too, for the victim."""
    evil_plain = etree.fromstring(idp.response(sp_of(group), name_id=VICTIM, sign_assertion=False).encode())
    assertion_encrypt(evil_plain, sp_key.cert_pem, key_transport="rsa-oaep-sha256", content="aes256-gcm")
    evil = evil_plain.find("saml:EncryptedAssertion", NS)

    before = counts()
    xml = encrypted_response(
        idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="alice@example.com",
        mutate_encrypted=lambda tree: tree.find("saml:EncryptedAssertion", NS).addprevious(copy.deepcopy(evil)),
    )  # fmt: skip
    assert xml.count("EncryptedAssertion>") == 4
    assert_refused(client, acs_post(client, group, xml), group, "signature_structure", before=before)


def test_anyone_can_encrypt_to_us_but_an_unsigned_swap_is_refused(client, idp, group, alice, victim, sp_key):
    """The attacker replaces the IdP's encrypted assertion with her own, encrypted to our public certificate,
    keeping the IdP's signature on the Response? The Response signature covers the ciphertext: refused."""
    signed = encrypted_response(
        idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="alice@example.com", sign_assertion=False,
        sign_response=True,
    )  # fmt: skip
    forged = etree.fromstring(signed.encode())
    evil_plain = etree.fromstring(idp.response(sp_of(group), name_id=VICTIM, sign_assertion=False).encode())
    assertion_encrypt(evil_plain, sp_key.cert_pem, key_transport="rsa-oaep-sha256", content="aes256-gcm")
    forged.replace(forged.find("saml:EncryptedAssertion", NS), evil_plain.find("saml:EncryptedAssertion", NS))
    before = counts()
    response = acs_post(client, group, etree.tostring(forged).decode())
    assert_refused(client, response, group, "bad_signature", before=before)


def test_comment_inside_the_encrypted_name_id_does_not_truncate_the_identity(client, idp, group, sp_key, victim):
    before = counts()
    xml = encrypted_response(
        idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="admin@example.com.evil.com",
        mutate_plain=lambda plain: plain.replace(
            ">admin@example.com.evil.com<", ">admin@example.com<!---->.evil.com<"
        ),
    )  # fmt: skip
    # The signature still verifies (c14n drops comments), but the identity is the whole text.
    failure = assert_refused(client, acs_post(client, group, xml), group, "unknown_user")
    assert failure.name_id == "admin@example.com.evil.com"
    assert counts()["sessions"] == before["sessions"]


def _encrypt_bytes(plaintext: bytes, cert_pem: str) -> etree._Element:
    """EncryptedData (Type=Element) around arbitrary bytes: what a hostile IdP could put in the ciphertext."""
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem))
    context = xmlsec.EncryptionContext(manager)
    context.key = xmlsec.Key.generate(xmlsec.constants.KeyDataAes, 256, xmlsec.constants.KeyDataTypeSession)
    return context.encrypt_binary(_template(key_transport="rsa-oaep-sha256", content="aes256-gcm"), plaintext)


XXE_ASSERTION = (
    b'<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x" Version="2.0" '
    b'IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>&xxe;</saml:Issuer></saml:Assertion>'
)
BOMB_ASSERTION = (
    b'<!DOCTYPE a [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b'<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">&lol2;</saml:Assertion>'
)
UNDEFINED_ENTITY = b'<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">&x;</saml:Assertion>'


@pytest.mark.parametrize(
    ("plaintext", "detail"),
    [
        (XXE_ASSERTION, PLAINTEXT_FORBIDDEN),
        (BOMB_ASSERTION, PLAINTEXT_FORBIDDEN),
        (UNDEFINED_ENTITY, PLAINTEXT_MALFORMED),
        (b"just some text", PLAINTEXT_MALFORMED),
        (b'<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">x</saml:Issuer>', NOT_AN_ASSERTION),
    ],
    ids=["xxe", "bomb", "undefined-entity", "text", "not-an-assertion"],
)
def test_bad_plaintext_inside_the_ciphertext_is_refused_as_any_failed_decryption(
    client, idp, group, alice, sp_key, plaintext, detail
):
    """One reason and one status for every decryption failure (no CBC padding oracle); the detail says which."""

    def swap(tree):
        wrapper = tree.find("saml:EncryptedAssertion", NS)
        wrapper.replace(wrapper[0], _encrypt_bytes(plaintext, sp_key.cert_pem))

    before = counts()
    xml = encrypted_response(
        idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="alice@example.com", mutate_encrypted=swap,
        sign_response=True,
    )  # fmt: skip
    failure = assert_refused(client, acs_post(client, group, xml), group, "decryption_failed", before=before)
    assert failure.detail.startswith(detail) and "passwd" not in failure.detail


def test_doctype_around_an_encrypted_response_is_refused_before_decrypting(client, idp, group, alice, sp_key):
    xml = encrypted_response(idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="alice@example.com")
    doctyped = '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + xml
    before = counts()
    assert_refused(client, acs_post(client, group, doctyped), group, "forbidden_xml", status=400, before=before)


def test_oversize_encrypted_response_is_refused(client, idp, group, alice, sp_key):
    padding = "x" * MAX_RESPONSE_BYTES
    xml = encrypted_response(
        idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="alice@example.com",
        attributes={"padding": [padding]},
    )  # fmt: skip
    assert len(xml) > MAX_RESPONSE_BYTES and padding not in xml
    before = counts()
    assert_refused(client, acs_post(client, group, xml), group, "oversize", status=413, before=before)


@pytest.mark.parametrize(
    ("element", "algorithm"),
    [
        ("EncryptedKey", f"{XENC}rsa-1_5"),
        ("EncryptedData", f"{XENC}tripledes-cbc"),
        ("EncryptedData", f"{XENC}aes192-cbc"),
    ],
    ids=["rsa-pkcs1-v1.5", "3des", "aes192"],
)
def test_weak_or_unlisted_encryption_algorithms_are_refused(client, idp, group, alice, sp_key, element, algorithm):
    """Named before any decryption: RSA PKCS#1 v1.5 key transport is a padding oracle (Bleichenbacher)."""

    def relabel(tree):
        method = tree.find(f".//{{{XENC}}}{element}/{{{XENC}}}EncryptionMethod")
        method.set("Algorithm", algorithm)

    before = counts()
    xml = encrypted_response(
        idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="alice@example.com", mutate_encrypted=relabel,
        sign_response=True,
    )  # fmt: skip
    failure = assert_refused(client, acs_post(client, group, xml), group, "encryption_algorithm", before=before)
    assert algorithm in failure.detail


def test_encrypted_name_id_is_still_refused_plainly(client, idp, group, alice, sp_key):
    """EncryptedID (an encrypted NameID alone) stays unsupported: encrypt the whole assertion."""

    def encrypt_name_id(tree) -> None:  # before pysaml2 signs the assertion
        subject = tree.find("saml:Assertion/saml:Subject", NS)
        name_id = subject.find("saml:NameID", NS)
        wrapper = etree.Element(f"{{{NS['saml']}}}EncryptedID")
        wrapper.append(_encrypt_bytes(etree.tostring(name_id), sp_key.cert_pem))
        subject.replace(name_id, wrapper)

    before = counts()
    xml = idp.response(sp_of(group), name_id="alice@example.com", mutate=encrypt_name_id)
    assert "EncryptedID" in xml and "alice@example.com" not in xml
    assert_refused(client, acs_post(client, group, xml), group, "encrypted_unsupported", status=400, before=before)
