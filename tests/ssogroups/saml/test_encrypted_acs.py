"""Encrypted assertions through the real ACS: pysaml2 signs, python-xmlsec encrypts to our real SP key."""

import pytest
from django.test import Client

from accounts.models import Event, UserSession
from ssogroups import sp_key_rotation, sp_keys
from ssogroups.models import ConsumedAssertion
from tests.ssogroups.saml.conftest import acs_post, counts, session_json
from tests.ssogroups.saml.encryptor import CONTENT, KEY_TRANSPORTS, OAEP_SHA1, encrypted_response
from tests.ssogroups.saml.idp import sp_of
from tests.ssogroups.saml.test_acs_rejections import assert_refused
from tests.support.keys import make_keypair


def _signed_in(client, user) -> None:
    body = session_json(client).json()
    assert (body["authenticated"], body["username"], body["auth_method"]) == (True, user.username, "sso")


@pytest.mark.parametrize("content", list(CONTENT))
@pytest.mark.parametrize("key_transport", KEY_TRANSPORTS)
def test_each_algorithm_pair_signs_in(client, idp, group, alice, sp_key, key_transport, content):
    xml = encrypted_response(
        idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="alice@example.com", key_transport=key_transport,
        content=content,
    )  # fmt: skip
    assert "EncryptedAssertion" in xml and "alice@example.com" not in xml

    response = acs_post(client, group, xml)

    assert response.status_code == 302, response.content[:300]
    _signed_in(client, alice)
    assert UserSession.objects.filter(user=alice).count() == 1
    assert ConsumedAssertion.objects.filter(group=group).count() == 1
    assert Event.objects.filter(event="sso_login_success", target=alice.username).count() == 1


@pytest.mark.parametrize(
    ("sign_assertion", "sign_response"),
    [(True, False), (False, True), (True, True)],
    ids=["assertion-signed", "response-signed", "both-signed"],
)
def test_each_signature_placement_around_the_encrypted_assertion_signs_in(
    client, idp, group, alice, sp_key, sign_assertion, sign_response
):
    xml = encrypted_response(
        idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="alice@example.com",
        sign_assertion=sign_assertion, sign_response=sign_response,
    )  # fmt: skip
    assert acs_post(client, group, xml).status_code == 302
    _signed_in(client, alice)


def test_encrypted_but_unsigned_is_refused(client, idp, group, alice, sp_key):
    before = counts()
    xml = encrypted_response(
        idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="alice@example.com", sign_assertion=False
    )
    failure = assert_refused(client, acs_post(client, group, xml), group, "encrypted_unsigned", before=before)
    assert failure.name_id == "alice@example.com"  # the claim comes from the decrypted assertion


@pytest.mark.parametrize(
    ("requirement", "accepted"),
    [("either", True), ("response", True), ("assertion", False), ("both", False)],
)
def test_signed_response_around_an_unsigned_encrypted_assertion_follows_the_group_requirement(
    client, idp, group, alice, sp_key, requirement, accepted
):
    group.signature_requirement = requirement
    group.save()
    before = counts()
    xml = encrypted_response(
        idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="alice@example.com",
        sign_assertion=False, sign_response=True,
    )  # fmt: skip
    response = acs_post(client, group, xml)
    if accepted:
        assert response.status_code == 302
        _signed_in(client, alice)
    else:
        assert_refused(client, response, group, "signature_missing_required", before=before)


def test_encrypted_to_a_key_we_do_not_hold_is_refused(client, idp, group, alice, sp_key):
    before = counts()
    stranger = make_keypair("someone else's SP")
    xml = encrypted_response(idp, sp_of(group), cert_pem=stranger.cert_pem, name_id="alice@example.com")
    failure = assert_refused(client, acs_post(client, group, xml), group, "decryption_failed", before=before)
    assert "none of the 1 SP key(s) opens it" in failure.detail


def test_previous_key_still_decrypts_during_rotation(client, idp, group, alice, make_user, account):
    """An IdP that has not imported the new certificate yet keeps encrypting to the old one."""
    old = sp_keys.sp_key_current()
    sp_key_rotation.sp_key_rotate(actor="operator")
    new = sp_key_rotation.sp_key_promote(actor="operator", force=True)
    assert [k.id for k in sp_keys.sp_keys_for_decryption()] == [new.id, old.id]

    to_old = encrypted_response(idp, sp_of(group), cert_pem=old.certificate_pem, name_id="alice@example.com")
    assert acs_post(client, group, to_old).status_code == 302
    _signed_in(client, alice)

    bob = make_user(account, "bob@example.com", sso_group=group)
    to_new = encrypted_response(
        idp, sp_of(group), cert_pem=new.certificate_pem, name_id="bob@example.com", key_transport=OAEP_SHA1
    )
    assert acs_post(client, group, to_new).status_code == 302
    _signed_in(client, bob)

    # Once the previous key is retired, what was encrypted to it is refused with a clear reason.
    sp_key_rotation.sp_key_retire(actor="operator")
    before = counts()
    late = encrypted_response(idp, sp_of(group), cert_pem=old.certificate_pem, name_id="alice@example.com")
    browser = Client()
    failure = assert_refused(browser, acs_post(browser, group, late), group, "decryption_failed", before=before)
    assert "none of the 1 SP key(s)" in failure.detail


def test_require_encrypted_assertions_refuses_a_plain_one(client, idp, group, alice, sp_key):
    group.require_encrypted_assertions = True
    group.save()
    before = counts()
    plain = idp.response(sp_of(group), name_id="alice@example.com")
    assert_refused(client, acs_post(client, group, plain), group, "encryption_required", before=before)

    encrypted = encrypted_response(idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="alice@example.com")
    assert acs_post(client, group, encrypted).status_code == 302
    _signed_in(client, alice)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda xml: xml.replace('Recipient="', 'Recipient="https://evil.example/'), "wrong_recipient"),
        (lambda xml: xml.replace("<ns1:Audience>", "<ns1:Audience>https://evil.example/"), "wrong_audience"),
        (lambda xml: xml.replace("alice@example.com", "admin@example.com"), "bad_signature"),
    ],
    ids=["recipient", "audience", "tampered-before-encryption"],
)
def test_checks_after_decryption_are_the_plain_ones(client, idp, group, alice, sp_key, mutate, reason):
    """A change inside the ciphertext (after the IdP signed, or before it signed) meets the same checks."""
    before = counts()
    signed_mutate = reason == "bad_signature"
    xml = encrypted_response(
        idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="alice@example.com",
        mutate_plain=mutate if signed_mutate else None,
        mutate=None if signed_mutate else _tree_mutator(mutate),
    )  # fmt: skip
    assert_refused(client, acs_post(client, group, xml), group, reason, before=before)


def _tree_mutator(edit):
    """TestIdP's ``mutate`` hook (before pysaml2 signs) from a string edit."""
    from lxml import etree

    def mutate(tree):
        changed = etree.fromstring(edit(etree.tostring(tree).decode()).encode())
        tree[:] = list(changed)
        for name, value in changed.attrib.items():
            tree.set(name, value)

    return mutate


def test_replayed_encrypted_assertion_is_refused(client, idp, group, alice, sp_key):
    xml = encrypted_response(idp, sp_of(group), cert_pem=sp_key.cert_pem, name_id="alice@example.com")
    assert acs_post(client, group, xml).status_code == 302
    client.post("/logout")
    before = counts()
    assert_refused(client, acs_post(client, group, xml), group, "replay", before=before)


def test_plain_response_never_loads_an_sp_key(client, idp, group, alice, monkeypatch):
    """The common case pays nothing: no key is read (or generated) for an unencrypted response."""

    def fail():
        raise AssertionError("SP keys were read for a plain response")

    monkeypatch.setattr("ssogroups.saml.services.sp_keys_for_decryption", fail)
    assert acs_post(client, group, idp.response(sp_of(group), name_id="alice@example.com")).status_code == 302
