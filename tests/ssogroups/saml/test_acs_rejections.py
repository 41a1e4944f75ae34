"""Every way the ACS refuses a response: status, generic page, precise recorded reason, nothing signed in."""

import copy
from datetime import timedelta

import pytest
from django.test import override_settings
from lxml import etree

from accounts.models import Event, User
from sparksso import clock
from ssogroups.models import ConsumedAssertion, PendingAuthnRequest, SSOLoginFailure
from tests.ssogroups.saml.conftest import acs_post, counts, session_json
from tests.ssogroups.saml.idp import NS, SHA1, TestIdP, authn_request_from_redirect, idp_clock_shift, sp_of
from tests.support.keys import make_keypair

GENERIC = b"We could not sign you in with single sign-on."


def assert_refused(client, response, group, reason: str, *, status: int = 403, before: dict | None = None):
    """The user sees a plain page with a reference; the admin's row and event name the reason."""
    assert response.status_code == status, (response.status_code, SSOLoginFailure.objects.values_list("reason"))
    failure = SSOLoginFailure.objects.filter(group=group).order_by("-id").first()
    assert failure is not None
    assert failure.reason == reason, failure.detail
    assert GENERIC in response.content
    assert failure.reference.encode() in response.content
    assert reason.encode() not in response.content  # no internals for the end user
    assert b"Signature" not in response.content
    assert session_json(client).status_code == 401
    event = Event.objects.filter(event="sso_login_failure").order_by("-id").first()
    assert (event.outcome, event.reason, event.account_id) == ("failure", reason, group.account_id)
    assert event.changes["reference"] == failure.reference
    if before is not None:
        assert counts() == before
    return failure


def _tree(xml: str):
    return etree.fromstring(xml.encode())


def _xml(tree) -> str:
    return etree.tostring(tree).decode()


# --- signatures ------------------------------------------------------------------------------


def test_unsigned_response_is_refused(client, idp, group, alice):
    before = counts()
    xml = idp.response(sp_of(group), name_id="alice@example.com", sign_assertion=False, sign_response=False)
    assert_refused(client, acs_post(client, group, xml), group, "unsigned", before=before)


def test_signed_by_another_key_with_its_certificate_in_keyinfo_is_refused(client, tmp_path, idp, group, alice):
    before = counts()
    impostor = TestIdP(tmp_path / "impostor", make_keypair("impostor"), entity_id=idp.entity_id)
    xml = impostor.response(sp_of(group), name_id="alice@example.com")
    assert impostor.keypair.cert_b64[:40] in xml  # the impostor's certificate travels in KeyInfo
    failure = assert_refused(client, acs_post(client, group, xml), group, "bad_signature", before=before)
    assert failure.issuer == idp.entity_id and failure.name_id == "alice@example.com"


def test_tampered_name_id_after_signing_is_refused(client, idp, group, alice, admin):
    before = counts()
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    assert_refused(
        client,
        acs_post(client, group, xml.replace("alice@example.com", admin.username)),
        group,
        "bad_signature",
        before=before,
    )


@pytest.mark.parametrize(("sign_assertion", "sign_response"), [(True, False), (False, True)])
def test_signature_requirement_both_refuses_a_single_signature(
    client, idp, group, alice, sign_assertion, sign_response
):
    group.signature_requirement = "both"
    group.save()
    before = counts()
    xml = idp.response(
        sp_of(group), name_id="alice@example.com", sign_assertion=sign_assertion, sign_response=sign_response
    )
    assert_refused(client, acs_post(client, group, xml), group, "signature_missing_required", before=before)


def test_signature_requirement_assertion_refuses_response_only(client, idp, group, alice):
    group.signature_requirement = "assertion"
    group.save()
    xml = idp.response(sp_of(group), name_id="alice@example.com", sign_assertion=False, sign_response=True)
    assert_refused(client, acs_post(client, group, xml), group, "signature_missing_required")


def _evil_copy(assertion, name_id: str, new_id: str = "_evil"):
    evil = copy.deepcopy(assertion)
    evil.set("ID", new_id)
    for signature in evil.findall("ds:Signature", NS):
        evil.remove(signature)
    evil.find("saml:Subject/saml:NameID", NS).text = name_id
    return evil


def _wrap_evil_assertion_added(xml: str, victim: str) -> str:
    tree = _tree(xml)
    signed = tree.find("saml:Assertion", NS)
    signed.addnext(_evil_copy(signed, victim))
    return _xml(tree)


def _wrap_signed_assertion_moved(xml: str, victim: str) -> str:
    """The signed assertion hides in samlp:Extensions; an unsigned evil one takes its place."""
    tree = _tree(xml)
    signed = tree.find("saml:Assertion", NS)
    evil = _evil_copy(signed, victim)
    signed.addprevious(evil)
    extensions = etree.Element(f"{{{NS['samlp']}}}Extensions")
    tree.find("saml:Issuer", NS).addnext(extensions)
    extensions.append(signed)
    return _xml(tree)


def _wrap_signed_assertion_inside_evil(xml: str, victim: str) -> str:
    """The evil assertion carries the original signature and the signed assertion in ds:Object."""
    tree = _tree(xml)
    signed = tree.find("saml:Assertion", NS)
    evil = _evil_copy(signed, victim, new_id=signed.get("ID"))
    signature = copy.deepcopy(signed.find("ds:Signature", NS))
    obj = etree.SubElement(signature, f"{{{NS['ds']}}}Object")
    obj.append(copy.deepcopy(signed))
    evil.find("saml:Issuer", NS).addnext(signature)
    tree.replace(signed, evil)
    return _xml(tree)


def _wrap_signed_response_inside_evil(xml: str, victim: str) -> str:
    """A new unsigned Response with an evil assertion, the original signed Response in Extensions."""
    original = _tree(xml)
    evil_response = copy.deepcopy(original)
    evil_response.set("ID", "_evil_response")
    for child in list(evil_response):
        if child.tag in (f"{{{NS['ds']}}}Signature",):
            evil_response.remove(child)
    assertion = evil_response.find("saml:Assertion", NS)
    evil_response.replace(assertion, _evil_copy(assertion, victim))
    extensions = etree.Element(f"{{{NS['samlp']}}}Extensions")
    extensions.append(original)
    evil_response.find("saml:Issuer", NS).addnext(extensions)
    return _xml(evil_response)


@pytest.mark.parametrize(
    ("wrap", "sign_assertion", "sign_response", "reason"),
    [
        (_wrap_evil_assertion_added, True, False, "signature_structure"),
        (_wrap_signed_assertion_moved, True, False, "signature_structure"),
        (_wrap_signed_assertion_inside_evil, True, False, "signature_structure"),
        (_wrap_signed_response_inside_evil, False, True, "signature_structure"),
    ],
    ids=["evil-assertion-added", "signed-assertion-moved", "signed-assertion-inside-evil", "signed-response-wrapped"],
)
def test_signature_wrapping_is_refused(client, idp, group, alice, admin, wrap, sign_assertion, sign_response, reason):
    admin.sso_group = group
    admin.save()
    before = counts()
    xml = idp.response(
        sp_of(group), name_id="alice@example.com", sign_assertion=sign_assertion, sign_response=sign_response
    )
    wrapped = wrap(xml, admin.username)
    assert_refused(client, acs_post(client, group, wrapped), group, reason, before=before)


def test_comment_inside_name_id_does_not_truncate_the_identity(client, idp, group, account, make_user):
    make_user(account, "admin@example.com", sso_group=group)
    before = counts()
    xml = idp.response(sp_of(group), name_id="admin@example.com.evil.com")
    injected = xml.replace(">admin@example.com.evil.com<", ">admin@example.com<!---->.evil.com<")
    assert injected != xml

    response = acs_post(client, group, injected)

    # The signature still verifies (c14n drops comments), but the identity is the whole text.
    failure = assert_refused(client, response, group, "unknown_user")
    assert failure.name_id == "admin@example.com.evil.com"
    assert counts()["sessions"] == before["sessions"]


def test_sha1_is_refused_unless_the_group_allows_it(client, idp, group, alice):
    before = counts()
    xml = idp.response(sp_of(group), name_id="alice@example.com", algorithms=SHA1)
    assert "rsa-sha1" in xml
    assert_refused(client, acs_post(client, group, xml), group, "deprecated_algorithm", before=before)

    group.allow_sha1 = True
    group.save()
    xml = idp.response(sp_of(group), name_id="alice@example.com", algorithms=SHA1)
    assert acs_post(client, group, xml).status_code == 302


# --- addressing ------------------------------------------------------------------------------


def _set(xpath: str, attribute: str | None, value: str):
    def mutate(tree):
        for node in tree.xpath(xpath, namespaces=NS):
            if attribute:
                node.set(attribute, value)
            else:
                node.text = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (_set("//saml:Audience", None, "https://other-sp.example/metadata"), "wrong_audience"),
        (_set("/samlp:Response", "Destination", "https://evil.example/consume"), "wrong_destination"),
        # python3-saml accepts a Destination that merely starts with the ACS URL; we do not.
        (_set("/samlp:Response", "Destination", "{acs}/extra"), "wrong_destination"),
        # python3-saml accepts a Recipient that merely contains the ACS URL; we do not.
        (_set("//saml:SubjectConfirmationData", "Recipient", "https://evil.example/?{acs}"), "wrong_recipient"),
        (_set("//saml:SubjectConfirmationData", "Recipient", "https://evil.example/consume"), "wrong_recipient"),
    ],
    ids=["audience", "destination", "destination-prefix", "recipient-contains", "recipient"],
)
def test_misaddressed_response_is_refused(client, idp, group, alice, mutate, reason):
    before = counts()

    def mutate_with_acs(tree):
        mutate(tree)
        for node in tree.iter():
            for key, value in node.attrib.items():
                if "{acs}" in value:
                    node.set(key, value.replace("{acs}", group.acs_url))

    xml = idp.response(sp_of(group), name_id="alice@example.com", sign_response=True, mutate=mutate_with_acs)
    assert_refused(client, acs_post(client, group, xml), group, reason, before=before)


def test_wrong_issuer_is_refused(client, tmp_path, idp_keys, group, alice):
    before = counts()
    other = TestIdP(tmp_path / "other-issuer", idp_keys, entity_id="https://other-idp.example/saml")
    xml = other.response(sp_of(group), name_id="alice@example.com")
    failure = assert_refused(client, acs_post(client, group, xml), group, "wrong_issuer", before=before)
    assert failure.issuer == "https://other-idp.example/saml"


def test_response_for_group_a_posted_to_group_b_is_refused(client, idp, idp_keys, group, alice, account, make_ssogroup):
    group_b = make_ssogroup(account, slug="group-b", cert_pem=idp_keys.cert_pem, idp_entity_id=idp.entity_id)
    alice.sso_group = None
    alice.save()
    before = counts()
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    assert_refused(client, acs_post(client, group_b, xml), group_b, "wrong_destination", before=before)
    assert not SSOLoginFailure.objects.filter(group=group).exists()


def test_response_for_another_accounts_group_is_refused(
    client, idp, idp_keys, group, alice, make_account, make_ssogroup
):
    other_account, _ = make_account()
    other_group = make_ssogroup(other_account, slug=group.slug, cert_pem=idp_keys.cert_pem, idp_entity_id=idp.entity_id)
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    assert_refused(client, acs_post(client, other_group, xml), other_group, "wrong_destination")


# --- time ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("idp_clock_offset", "reason"),
    [
        (-3600, "expired"),  # an hour-old response
        (-7 * 60, "expired"),  # 5-minute lifetime, 2 minutes past it
        (3600, "not_yet_valid"),
        # Beyond our 120 s skew though inside python3-saml's own fixed 300 s drift.
        (200, "not_yet_valid"),
    ],
)
def test_response_outside_its_validity_window_is_refused(client, idp, group, alice, idp_clock_offset, reason):
    before = counts()
    with idp_clock_shift(idp_clock_offset):
        xml = idp.response(sp_of(group), name_id="alice@example.com")
    assert_refused(client, acs_post(client, group, xml), group, reason, before=before)


def test_clock_difference_within_the_skew_is_accepted(client, idp, group, alice):
    with idp_clock_shift(60):
        xml = idp.response(sp_of(group), name_id="alice@example.com")
    assert acs_post(client, group, xml).status_code == 302


@override_settings(SAML_CLOCK_SKEW_SECONDS=10)
def test_clock_skew_comes_from_settings(client, idp, group, alice):
    with idp_clock_shift(60):
        xml = idp.response(sp_of(group), name_id="alice@example.com")
    assert_refused(client, acs_post(client, group, xml), group, "not_yet_valid")


def test_moving_our_clock_past_the_window_expires_the_response(client, idp, group, alice, monkeypatch):
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    later = clock.now() + timedelta(minutes=30)
    monkeypatch.setattr("sparksso.clock.now", lambda: later)
    assert_refused(client, acs_post(client, group, xml), group, "expired")


def test_session_not_on_or_after_in_the_past_is_refused(client, idp, group, alice):
    past = (clock.now() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    xml = idp.response(sp_of(group), name_id="alice@example.com", session_not_on_or_after=past)
    assert_refused(client, acs_post(client, group, xml), group, "expired")


# --- request state ---------------------------------------------------------------------------


def test_replayed_assertion_is_refused(client, idp, group, alice):
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    assert acs_post(client, group, xml).status_code == 302
    before = counts()
    attacker = client.__class__()
    assert_refused(attacker, acs_post(attacker, group, xml), group, "replay", before=before)
    assert ConsumedAssertion.objects.filter(group=group).count() == 1


def test_unknown_in_response_to_is_refused(client, idp, group, alice):
    before = counts()
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to="ONELOGIN_never_sent")
    assert_refused(client, acs_post(client, group, xml), group, "unknown_request", before=before)


def test_in_response_to_of_another_group_is_refused_and_not_consumed(
    client, idp, idp_keys, group, alice, account, make_ssogroup
):
    group_b = make_ssogroup(account, slug="group-b", cert_pem=idp_keys.cert_pem, idp_entity_id=idp.entity_id)
    start = client.get(f"/api/v1/users/saml/{account.pk}/{group_b.slug}/login")
    request_id = authn_request_from_redirect(start["Location"])[0].get("ID")
    before = counts()
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    assert_refused(client, acs_post(client, group, xml), group, "unknown_request", before=before)
    assert PendingAuthnRequest.objects.filter(request_id=request_id, group=group_b).exists()


def test_in_response_to_answers_only_once(client, idp, group, alice):
    start = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login")
    request_id = authn_request_from_redirect(start["Location"])[0].get("ID")
    first = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    assert acs_post(client, group, first).status_code == 302
    second = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    attacker = client.__class__()
    # The request is spent (kept as such until the answer's own expiry): "already used", not unknown.
    failure = assert_refused(attacker, acs_post(attacker, group, second), group, "replay")
    assert failure.detail == f"the sign-in request {request_id!r} was already answered"


def test_expired_pending_request_is_refused(client, idp, group, alice, monkeypatch):
    start = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login")
    request_id = authn_request_from_redirect(start["Location"])[0].get("ID")
    PendingAuthnRequest.objects.filter(request_id=request_id).update(expires_at=clock.now() - timedelta(seconds=1))
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    assert_refused(client, acs_post(client, group, xml), group, "unknown_request")


def test_stripping_the_unsigned_in_response_to_does_not_make_it_unsolicited(client, idp, group, alice):
    group.allow_idp_initiated = False
    group.save()
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to="ONELOGIN_someone_elses")
    tree = _tree(xml)
    del tree.attrib["InResponseTo"]  # the Response element is not signed here; the assertion is
    assert_refused(client, acs_post(client, group, _xml(tree)), group, "unknown_request")


def test_unsolicited_response_is_refused_when_idp_initiated_is_off(client, idp, group, alice):
    group.allow_idp_initiated = False
    group.save()
    before = counts()
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    assert_refused(client, acs_post(client, group, xml), group, "unsolicited_not_allowed", before=before)


# --- identity --------------------------------------------------------------------------------


def test_unknown_user_is_refused_without_jit(client, idp, group):
    users = User.objects.count()
    xml = idp.response(sp_of(group), name_id="nobody@example.com")
    failure = assert_refused(client, acs_post(client, group, xml), group, "unknown_user")
    assert failure.name_id == "nobody@example.com"
    assert User.objects.count() == users


def test_user_bound_to_another_group_is_refused(client, idp, idp_keys, group, account, make_user, make_ssogroup):
    elsewhere = make_ssogroup(account, slug="okta", cert_pem=idp_keys.cert_pem)
    make_user(account, "frank@example.com", sso_group=elsewhere)
    xml = idp.response(sp_of(group), name_id="frank@example.com")
    assert_refused(client, acs_post(client, group, xml), group, "other_group")


def test_inactive_user_is_refused(client, idp, group, account, make_user):
    make_user(account, "gone@example.com", sso_group=group, is_active=False)
    xml = idp.response(sp_of(group), name_id="gone@example.com")
    assert_refused(client, acs_post(client, group, xml), group, "inactive_user")


def test_user_of_another_account_is_not_found(client, idp, group, make_account, make_user):
    other_account, _ = make_account()
    make_user(other_account, "harry@example.com")
    xml = idp.response(sp_of(group), name_id="harry@example.com")
    assert_refused(client, acs_post(client, group, xml), group, "unknown_user")


def test_jit_with_invalid_attributes_is_refused_without_creating(client, idp, group):
    group.jit_provisioning = True
    group.save()
    users = User.objects.count()
    xml = idp.response(sp_of(group), name_id="ivy@example.com", attributes={"email": ["not-an-email"]})
    assert_refused(client, acs_post(client, group, xml), group, "provisioning_failed")
    assert User.objects.count() == users


def test_refused_user_does_not_replace_an_existing_session(client, idp, group, admin):
    client.force_login(admin)
    xml = idp.response(sp_of(group), name_id="nobody@example.com")
    response = acs_post(client, group, xml)
    assert response.status_code == 403
    assert session_json(client).json()["username"] == admin.username


def test_assertion_without_not_on_or_after_is_refused(client, idp, group, alice):
    def strip_expiry(tree):
        for node in tree.xpath("//saml:Conditions | //saml:SubjectConfirmationData", namespaces=NS):
            node.attrib.pop("NotOnOrAfter", None)

    before = counts()
    xml = idp.response(sp_of(group), name_id="alice@example.com", mutate=strip_expiry)
    assert_refused(client, acs_post(client, group, xml), group, "no_validity_window", before=before)


def test_identity_matching_two_users_by_email_is_refused(client, idp, group, account, make_user):
    make_user(account, "jo-one", email="jo@example.com", sso_group=group)
    make_user(account, "jo-two", email="jo@example.com", sso_group=group)
    xml = idp.response(sp_of(group), name_id="jo@example.com")
    assert_refused(client, acs_post(client, group, xml), group, "ambiguous_user")


def test_missing_identity_attribute_is_refused(client, idp, group, alice):
    group.identity_attribute = "uid"
    group.save()
    xml = idp.response(sp_of(group), name_id="alice@example.com", attributes={"email": ["alice@example.com"]})
    assert_refused(client, acs_post(client, group, xml), group, "no_name_id")


def test_wrong_audience_names_what_the_idp_sent_and_what_this_group_is(client, idp, group, alice):
    before = counts()
    sent = "https://sso.jumpcloud.com/saml2/sparkpost"  # JumpCloud's default SP Entity ID, left unchanged
    xml = idp.response(sp_of(group), name_id="alice@example.com", mutate=_set("//saml:Audience", None, sent))
    failure = assert_refused(client, acs_post(client, group, xml), group, "wrong_audience", before=before)
    assert failure.detail == (
        f"The response is for audience {sent}; this group's Audience URI (SP Entity ID) is {group.sp_entity_id}: "
        "the IdP's SP Entity ID (audience) must be exactly that."
    )
    assert "not a valid audience" not in failure.detail
