"""Successful sign-ins through the real ACS, with responses built and signed by pysaml2."""

import hashlib
from datetime import timedelta

import pytest
from django.test import Client

from accounts.models import Event, User, UserSession
from sparksso import clock
from ssogroups.models import ConsumedAssertion, PendingAuthnRequest, SSOCertificate
from tests.ssogroups.saml.conftest import acs_post, session_json
from tests.ssogroups.saml.idp import TestIdP, authn_request_from_redirect, sp_of
from tests.support.keys import make_keypair


def _signed_in_as(client, user) -> dict:
    body = session_json(client).json()
    assert body["authenticated"] is True
    assert body["username"] == user.username
    return body


@pytest.mark.parametrize(
    ("sign_assertion", "sign_response"),
    [(True, False), (False, True), (True, True)],
    ids=["assertion-signed", "response-signed", "both-signed"],
)
def test_idp_initiated_sign_in_with_each_signature_placement(client, idp, group, alice, sign_assertion, sign_response):
    xml = idp.response(
        sp_of(group), name_id="alice@example.com", sign_assertion=sign_assertion, sign_response=sign_response
    )

    response = acs_post(client, group, xml)

    assert response.status_code == 302
    assert response["Location"] == "/"
    body = _signed_in_as(client, alice)
    assert body["auth_method"] == "sso"
    assert body["sso_group"] == "jumpcloud"
    assert UserSession.objects.get(user=alice).auth_method == "sso"
    assert client.session["sso_group"] == "jumpcloud"
    event = Event.objects.get(event="sso_login_success")
    assert (event.account_id, event.target, event.changes) == (group.account_id, alice.username, {"group": "jumpcloud"})
    assert ConsumedAssertion.objects.filter(group=group).count() == 1


@pytest.mark.parametrize(("sign_assertion", "sign_response"), [(True, False), (False, True), (True, True)])
def test_pysaml2_native_signing_is_accepted(client, idp, group, alice, sign_assertion, sign_response):
    xml = idp.native_response(
        sp_of(group), name_id="alice@example.com", sign_assertion=sign_assertion, sign_response=sign_response
    )
    assert "ns0:" in xml or "ns1:" in xml  # pysaml2's own prefixes, not saml:/samlp:

    assert acs_post(client, group, xml).status_code == 302
    _signed_in_as(client, alice)


def test_sp_initiated_round_trip_honours_next_and_consumes_the_request(client, idp, group, alice):
    start = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login?next=/reports/42")
    assert start.status_code == 302
    request_xml, query = authn_request_from_redirect(start["Location"])
    assert start["Location"].startswith(group.sso_url + "?")
    request_id = request_xml.get("ID")
    assert request_xml.get("AssertionConsumerServiceURL") == group.acs_url
    assert request_xml.get("Destination") == group.sso_url
    issuer = request_xml.find("{urn:oasis:names:tc:SAML:2.0:assertion}Issuer").text
    assert issuer == group.sp_entity_id
    assert "RelayState" not in query  # the pending request holds next; nothing opaque to carry
    pending = PendingAuthnRequest.objects.get(request_id=request_id)
    assert pending.next_path == "/reports/42"
    cookie = start.cookies["sparksso_authn"]
    assert pending.browser_hash == hashlib.sha256(cookie.value.encode()).hexdigest()
    assert cookie.value not in str(PendingAuthnRequest.objects.values())  # only its hash rests

    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    # The same browser posts the IdP's response: it carries the sign-in cookie back.
    response = acs_post(client, group, xml)

    assert response.status_code == 302
    assert response["Location"] == "/reports/42"
    assert PendingAuthnRequest.objects.get(request_id=request_id).spent_at is not None  # answered once


def test_each_authn_request_gets_a_fresh_id(client, group):
    url = f"/api/v1/users/saml/{group.account_id}/{group.slug}/login"
    # Each browser its own (a reload of one browser re-sends its pending request: test_login_start.py).
    ids = {authn_request_from_redirect(client.__class__().get(url)["Location"])[0].get("ID") for _ in range(3)}
    assert len(ids) == 3


def test_certificate_rollover_accepts_old_and_new_while_both_are_configured(client, tmp_path, idp, group, alice):
    new_keys = make_keypair("saml-idp-next")
    SSOCertificate.objects.create(group=group, pem=new_keys.cert_pem, sha256_fingerprint="next")
    new_idp = TestIdP(tmp_path / "idp-next", new_keys, entity_id=idp.entity_id)

    assert acs_post(client, group, idp.response(sp_of(group), name_id="alice@example.com")).status_code == 302
    other_client = client.__class__()
    assert acs_post(other_client, group, new_idp.response(sp_of(group), name_id="alice@example.com")).status_code == 302
    _signed_in_as(client, alice)
    _signed_in_as(other_client, alice)

    # Rollover finished: the old certificate is removed and no longer trusted.
    SSOCertificate.objects.filter(group=group).exclude(sha256_fingerprint="next").delete()
    third = client.__class__()
    assert acs_post(third, group, idp.response(sp_of(group), name_id="alice@example.com")).status_code == 403
    assert session_json(third).status_code == 401


def test_attributes_update_the_profile_when_they_differ(client, idp, group, alice):
    xml = idp.response(
        sp_of(group),
        name_id="alice@example.com",
        attributes={
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": ["Alicia"],
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname": ["Liddell"],
            "urn:oid:0.9.2342.19200300.100.1.3": ["alicia@example.com"],
        },
    )
    assert acs_post(client, group, xml).status_code == 302
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name, alice.email) == ("Alicia", "Liddell", "alicia@example.com")
    update = Event.objects.get(event="user_update_sso")
    assert update.changes == {"first_name": "Alicia", "email": "alicia@example.com"}


def test_jumpcloud_attribute_names_update_the_profile(client, idp, group, alice):
    xml = idp.response(sp_of(group), name_id="alice@example.com", attributes={"firstName": ["Al"], "lastName": ["L."]})
    assert acs_post(client, group, xml).status_code == 302
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name) == ("Al", "L.")


def test_username_matches_case_insensitively_then_email(client, idp, group, account, make_user):
    bob = make_user(account, "Bob", email="bob@corp.example", sso_group=group)
    assert acs_post(client, group, idp.response(sp_of(group), name_id="bob")).status_code == 302
    _signed_in_as(client, bob)
    other = client.__class__()
    assert acs_post(other, group, idp.response(sp_of(group), name_id="BOB@corp.example")).status_code == 302
    _signed_in_as(other, bob)


def test_identity_attribute_instead_of_name_id(client, idp, group, account, make_user):
    carol = make_user(account, "carol", email="", sso_group=group)
    group.identity_attribute = "uid"
    group.save()
    xml = idp.response(sp_of(group), name_id="someone-else@example.com", attributes={"uid": ["carol"]})
    assert acs_post(client, group, xml).status_code == 302
    _signed_in_as(client, carol)


def test_jit_provisioning_creates_the_user_with_the_default_role(client, idp, group):
    group.jit_provisioning = True
    group.default_role = User.Role.DEVELOPER
    group.save()
    xml = idp.response(
        sp_of(group), name_id="erin@example.com", attributes={"firstName": ["Erin"], "lastName": ["Example"]}
    )
    assert acs_post(client, group, xml).status_code == 302
    erin = User.objects.get(account=group.account, username="erin@example.com")
    assert (erin.email, erin.first_name, erin.role, erin.sso_group_id) == (
        "erin@example.com",
        "Erin",
        "developer",
        group.pk,
    )
    assert Event.objects.filter(event="user_create_jit", target="erin@example.com").count() == 1
    _signed_in_as(client, erin)


def test_session_ends_no_later_than_session_not_on_or_after(client, idp, group, alice):
    end = (clock.now() + timedelta(hours=1)).replace(microsecond=0)
    xml = idp.response(
        sp_of(group), name_id="alice@example.com", session_not_on_or_after=end.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    assert acs_post(client, group, xml).status_code == 302
    assert client.session.get_expiry_date() == end


def test_session_key_rotates_on_sign_in(client, idp, group, alice):
    client.get("/login")
    client.session.save()
    before = client.session.session_key
    assert acs_post(client, group, idp.response(sp_of(group), name_id="alice@example.com")).status_code == 302
    assert client.session.session_key != before


def test_signing_in_replaces_another_users_session(client, idp, group, account, admin, alice):
    client.force_login(admin)
    assert acs_post(client, group, idp.response(sp_of(group), name_id="alice@example.com")).status_code == 302
    body = _signed_in_as(client, alice)
    assert body["auth_method"] == "sso"


def test_logout_ends_the_sso_session(client, idp, group, alice):
    assert acs_post(client, group, idp.response(sp_of(group), name_id="alice@example.com")).status_code == 302
    client.post("/logout")
    assert session_json(client).status_code == 401
    assert not UserSession.objects.filter(user=alice).exists()


@pytest.mark.parametrize("relay_state", ["//evil.example", "https://evil.example", "/\\evil.example", "javascript:x"])
def test_idp_initiated_relay_state_stays_on_our_origin(client, idp, group, alice, relay_state):
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    response = acs_post(client, group, xml, relay_state=relay_state)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_idp_initiated_relative_relay_state_is_honoured(client, idp, group, alice):
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    assert acs_post(client, group, xml, relay_state="/templates").headers["Location"] == "/templates"


@pytest.mark.parametrize("next_value", ["//evil.example", "https://evil.example"])
def test_sp_initiated_next_stays_on_our_origin(client, idp, group, alice, next_value):
    start = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login", {"next": next_value})
    request_xml, query = authn_request_from_redirect(start["Location"])
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_xml.get("ID"))
    assert "RelayState" not in query
    response = acs_post(client, group, xml)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_acs_needs_no_csrf_token_from_the_idp(idp, group, alice):
    strict_client = Client(enforce_csrf_checks=True)
    response = acs_post(strict_client, group, idp.response(sp_of(group), name_id="alice@example.com"))
    assert response.status_code == 302
    _signed_in_as(strict_client, alice)


def test_idp_initiated_works_for_a_group_without_an_sso_url(client, idp, group, alice):
    group.sso_url = ""
    group.sso_endpoints = []
    group.save()
    assert acs_post(client, group, idp.response(sp_of(group), name_id="alice@example.com")).status_code == 302
    _signed_in_as(client, alice)
