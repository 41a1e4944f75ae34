"""Issue 19: SAML as IdPs other than JumpCloud send it, through the independent test IdP and the
real ACS (strict): a transient or persistent NameID with the email in an attribute, the diagnostics
that name the NameID format and the setting to change, an absolute RelayState to our own origin,
and a solicited response posted twice, named a replay."""

from datetime import timedelta

import pytest
from django.test import Client

from sparksso import clock
from ssogroups.forms import ssogroup_initial
from ssogroups.intake import metadata_load, ssogroup_create_from_metadata
from ssogroups.models import PendingAuthnRequest, SSOGroup, SSOLoginFailure, SSOTrustChange
from ssogroups.retention import retention_prune
from ssogroups.saml.identity import (
    MSG_HINT_ATTRIBUTE_ANY,
    MSG_HINT_ATTRIBUTE_FOUND,
    MSG_NAME_ID_HINT,
    profile_from_attributes,
)
from tests.conftest import force_recent_login
from tests.ssogroups import samples as s
from tests.ssogroups.saml.conftest import acs_post, counts, session_json
from tests.ssogroups.saml.idp import (
    EMAIL,
    PERSISTENT,
    TRANSIENT,
    UNSPECIFIED,
    authn_request_from_redirect,
    idp_clock_shift,
    sp_of,
)
from tests.ssogroups.saml.test_acs_rejections import assert_refused

# SimpleSAMLphp's default: a random transient ID, the address in the `mail` attribute (its LDAP name).
TRANSIENT_ID = "_6c3a4f1c2b0e9d8f7a6b5c4d3e2f1a0b9c8d7e6f5a"
PERSISTENT_ID = "Qm9iJ3MgcGVyc2lzdGVudCBJRCBmcm9tIEVudHJh"  # Entra's persistent pairwise ID: opaque
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"


@pytest.fixture
def from_metadata(account, idp, idp_keys) -> SSOGroup:
    """An enabled group made from the IdP's metadata, as an admin makes one (NameID by default)."""
    source = metadata_load(xml=s.idp_metadata(idp_keys.cert_b64, entity_id=idp.entity_id))
    return ssogroup_create_from_metadata(
        account=account, name="SimpleSAMLphp", slug="simplesamlphp", source=source, actor="test", enable=True
    )


def _start(client: Client, group: SSOGroup) -> str:
    start = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login")
    assert start.status_code == 302
    return authn_request_from_redirect(start["Location"])[0].get("ID")


def _name_id_policy(client: Client, group: SSOGroup) -> str:
    start = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login")
    request_xml, _ = authn_request_from_redirect(start["Location"])
    return request_xml.find("{urn:oasis:names:tc:SAML:2.0:protocol}NameIDPolicy").get("Format")


def _edit_data(group: SSOGroup, **overrides) -> dict:
    data = {k: ("on" if v is True else v) for k, v in ssogroup_initial(group).items() if v not in (False, None)}
    return {**data, "scim_roles_shown": "1", **overrides}


# --- item 2: Identify users by an attribute, end to end --------------------------------------------


def test_a_transient_name_id_is_refused_naming_the_setting_then_signs_in_by_the_mail_attribute(
    idp, from_metadata, account, make_user, admin
):
    """SimpleSAMLphp as it ships: a transient NameID, the address in `mail`. On a group identifying users
    by NameID it names nobody; the admin reads which setting to change, changes it on the edit form
    (held on an enabled group, approved), and the same IdP's answer then signs Alice in."""
    group = from_metadata
    alice = make_user(account, "alice@example.com", sso_group=group)
    browser = Client()
    attributes = {"mail": ["alice@example.com"], "givenName": ["Alice"], "sn": ["Liddell"]}
    assert _name_id_policy(Client(), group) == EMAIL  # NameID-configured: we ask for the email address

    request_id = _start(browser, group)
    xml = idp.response(
        sp_of(group), name_id=TRANSIENT_ID, name_id_format=TRANSIENT, attributes=attributes, in_response_to=request_id
    )
    failure = assert_refused(browser, acs_post(browser, group, xml), group, "unknown_user")
    hint = MSG_NAME_ID_HINT.format(
        kind="transient", format=TRANSIENT, attribute=MSG_HINT_ATTRIBUTE_FOUND.format(name="mail")
    )
    assert (failure.name_id, failure.name_id_format, failure.detail) == (TRANSIENT_ID, TRANSIENT, hint)

    admin_browser = Client()
    force_recent_login(admin_browser, admin)
    page = admin_browser.get(f"/account/sso/{group.slug}/failures").content.decode().replace("<wbr>", "")
    assert f'Format: <span class="ident">{TRANSIENT}</span>' in page
    assert "set “Identify users by” → attribute “mail”" in page

    # The edit form: "Identify users by" → attribute `mail`. The group is enabled: held for approval.
    response = admin_browser.post(
        f"/account/sso/{group.slug}/edit", _edit_data(group, identify_by="attribute", identity_attribute="mail")
    )
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == f"/account/sso/{group.slug}/"
    assert SSOGroup.objects.get(pk=group.pk).identity_attribute == ""
    change = SSOTrustChange.objects.get(group=group)
    assert change.values == {"identity_attribute": "mail"}
    detail = admin_browser.get(f"/account/sso/{group.slug}/").content.decode()
    assert "Identify users by" in detail and "attribute mail" in detail
    # Until approved, the transient answer still names nobody.
    request_id = _start(browser, group)
    xml = idp.response(
        sp_of(group), name_id=TRANSIENT_ID, name_id_format=TRANSIENT, attributes=attributes, in_response_to=request_id
    )
    assert acs_post(browser, group, xml).status_code == 403

    approve = admin_browser.post(f"/account/sso/{group.slug}/trust-change/approve", {"version": change.version})
    assert approve.status_code == 302
    group.refresh_from_db()
    assert group.identity_attribute == "mail"
    assert _name_id_policy(Client(), group) == NAMEID_UNSPECIFIED  # any NameID will do now

    request_id = _start(browser, group)
    xml = idp.response(
        sp_of(group), name_id=TRANSIENT_ID, name_id_format=TRANSIENT, attributes=attributes, in_response_to=request_id
    )
    response = acs_post(browser, group, xml)
    assert response.status_code == 302, SSOLoginFailure.objects.values_list("reason", "detail").first()
    assert session_json(browser).json()["username"] == alice.username


def test_the_same_answer_on_a_group_identifying_users_by_name_id_is_refused(
    idp, idp_keys, account, make_user, make_ssogroup
):
    """Two groups trusting the same IdP: the one reading `mail` signs Alice in, the one reading the
    NameID refuses the very same kind of answer (IdP-initiated, so nothing but the group differs)."""
    by_mail = make_ssogroup(
        account, slug="by-mail", cert_pem=idp_keys.cert_pem, idp_entity_id=idp.entity_id, identity_attribute="mail"
    )
    by_name_id = make_ssogroup(account, slug="by-name-id", cert_pem=idp_keys.cert_pem, idp_entity_id=idp.entity_id)
    make_user(account, "dinah@example.com", sso_group=by_mail)
    make_user(account, "dinah2@example.com", email="dinah@example.com", sso_group=by_name_id)
    attributes = {"mail": ["dinah@example.com"]}

    refused = Client()
    xml = idp.response(sp_of(by_name_id), name_id=TRANSIENT_ID, name_id_format=TRANSIENT, attributes=attributes)
    assert_refused(refused, acs_post(refused, by_name_id, xml), by_name_id, "unknown_user")

    signed_in = Client()
    xml = idp.response(sp_of(by_mail), name_id=TRANSIENT_ID, name_id_format=TRANSIENT, attributes=attributes)
    assert acs_post(signed_in, by_mail, xml).status_code == 302
    assert session_json(signed_in).json()["username"] == "dinah@example.com"


# --- item 3: the diagnostics name the NameID format ------------------------------------------------


@pytest.mark.parametrize(
    ("name_id", "name_id_format", "kind"),
    [
        (TRANSIENT_ID, TRANSIENT, "transient"),
        (PERSISTENT_ID, PERSISTENT, "persistent"),
        ("bob", UNSPECIFIED, "unspecified"),
    ],
)
def test_a_refused_opaque_name_id_names_its_format_and_the_setting(client, idp, group, name_id, name_id_format, kind):
    xml = idp.response(sp_of(group), name_id=name_id, name_id_format=name_id_format)  # no email attribute
    response = acs_post(client, group, xml)
    failure = assert_refused(client, response, group, "unknown_user")
    expected = MSG_NAME_ID_HINT.format(kind=kind, format=name_id_format, attribute=MSG_HINT_ATTRIBUTE_ANY)
    assert (failure.name_id_format, failure.detail) == (name_id_format, expected)
    body = response.content.decode()
    assert "Identify users by" not in body and name_id_format not in body  # the user's page stays generic


def test_an_unknown_email_name_id_gets_no_setting_hint(client, idp, group):
    xml = idp.response(sp_of(group), name_id="nobody@example.com", attributes={"mail": ["nobody@example.com"]})
    failure = assert_refused(client, acs_post(client, group, xml), group, "unknown_user")
    assert (failure.name_id_format, failure.detail) == (EMAIL, "")


def test_a_failure_before_the_signature_is_checked_keeps_the_claimed_format(client, tmp_path, idp, group):
    xml = idp.response(sp_of(group), name_id=TRANSIENT_ID, name_id_format=TRANSIENT)
    failure = assert_refused(client, acs_post(client, group, xml.replace(TRANSIENT_ID, "_x")), group, "bad_signature")
    assert (failure.name_id, failure.name_id_format) == ("_x", TRANSIENT)


def test_the_test_sign_in_report_shows_the_format_and_the_setting(client, idp, group, admin):
    client.force_login(admin)
    start = client.post(f"/account/sso/{group.slug}/test-sign-in")
    request, query = authn_request_from_redirect(start["Location"])
    xml = idp.response(
        sp_of(group),
        name_id=PERSISTENT_ID,
        name_id_format=PERSISTENT,
        attributes={"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": ["x@example.com"]},
        in_response_to=request.get("ID"),
    )
    response = acs_post(client, group, xml, relay_state=query["RelayState"][0])
    page = client.get(response["Location"]).content.decode().replace("<wbr>", "")
    assert "Test sign-in: it failed" in page and "unknown_user" in page
    assert f'<dt>NameID format</dt><dd><span class="ident">{PERSISTENT}</span></dd>' in page
    found = MSG_HINT_ATTRIBUTE_FOUND.format(name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress")
    hint = MSG_NAME_ID_HINT.format(kind="persistent", format=PERSISTENT, attribute=found)
    assert hint in page


# --- item 5: an absolute RelayState to our own origin ---------------------------------------------


@pytest.mark.parametrize(
    ("relay_state", "landing"),
    [
        ("https://sso.example.com/account/settings/", "/account/settings/"),
        (
            "https://SSO.Example.com:443/account/events/?event=sso_login_success",
            "/account/events/?event=sso_login_success",
        ),
        ("https://sso.example.com", "/"),
        ("/account/sso/", "/account/sso/"),
        # Every other origin still lands on /.
        ("https://sso.example.com.evil.example/account/", "/"),
        ("https://evil.example/https://sso.example.com/account/", "/"),
        ("http://sso.example.com/account/", "/"),  # another scheme is another origin
        ("https://sso.example.com:8443/account/", "/"),
        ("https://user@sso.example.com/account/", "/"),
        ("https://sso.example.com@evil.example/account/", "/"),
        ("https://sso.example.com//evil.example/", "/"),
        ("https://sso.example.com/\\evil.example", "/"),
        ("https://sso.example.com:99999/account/", "/"),
        ("javascript://sso.example.com/%0aalert(1)", "/"),
    ],
)
def test_an_absolute_relay_state_lands_only_on_our_own_origin(
    client, settings, idp, group, alice, relay_state, landing
):
    settings.BASE_URL = "https://sso.example.com"
    xml = idp.response(sp_of(group), name_id="alice@example.com")  # built for the ACS under this BASE_URL
    response = acs_post(client, group, xml, relay_state=relay_state)
    assert response.status_code == 302
    assert response["Location"] == landing
    assert session_json(client).json()["username"] == alice.username


# --- item 6: a solicited response posted twice is a replay ----------------------------------------


def test_a_solicited_response_posted_twice_is_named_a_replay(client, idp, group, alice):
    request_id = _start(client, group)
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    assert acs_post(client, group, xml).status_code == 302

    client.post("/logout")
    before = counts()
    failure = assert_refused(client, acs_post(client, group, xml), group, "replay", before=before)
    assert failure.detail == f"the sign-in request {request_id!r} was already answered"
    assert PendingAuthnRequest.objects.get(request_id=request_id).spent_at is not None


def test_a_reload_after_the_answer_starts_a_new_request(client, idp, group, alice):
    """The browser's own pending request is sent again on a reload, but never once it is answered."""
    first = _start(client, group)
    assert _start(client, group) == first  # a reload: the same request
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=first)
    assert acs_post(client, group, xml).status_code == 302
    second = _start(client, group)
    assert second != first
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=second)
    assert acs_post(client, group, xml).status_code == 302


def test_a_spent_request_is_remembered_as_long_as_its_answer_is_valid_then_pruned(
    client, idp, group, alice, monkeypatch
):
    """The request expires after 10 minutes, but an answer that came late stays valid longer: the
    spent row lives as long as the answer could be accepted, so a replay is named, then pruned."""
    start = clock.now()
    moments = {"now": start}
    monkeypatch.setattr("sparksso.clock.now", lambda: moments["now"])
    request_id = _start(client, group)
    pending = PendingAuthnRequest.objects.get(request_id=request_id)
    assert pending.expires_at == start + timedelta(minutes=10)

    moments["now"] = start + timedelta(minutes=9)  # answered late; the IdP's clock agrees with ours
    with idp_clock_shift(9 * 60):
        xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    assert acs_post(client, group, xml).status_code == 302
    kept = PendingAuthnRequest.objects.get(request_id=request_id).expires_at
    assert kept > start + timedelta(minutes=14)  # the answer's NotOnOrAfter (+5 min) plus the clock skew

    moments["now"] = start + timedelta(minutes=12)  # the request itself has expired; its answer has not
    replayer = Client()
    failure = assert_refused(replayer, acs_post(replayer, group, xml), group, "replay")
    assert "was already answered" in failure.detail

    assert retention_prune(now=kept - timedelta(seconds=1))["pending_authn_requests"] == 0
    assert retention_prune(now=kept)["pending_authn_requests"] == 1
    assert not PendingAuthnRequest.objects.filter(request_id=request_id).exists()


# --- item 4: the attribute names other IdPs use for the profile --------------------------------------

ENTRA = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"


@pytest.mark.parametrize(
    ("name", "field"),
    [
        # LDAP names (SimpleSAMLphp's default name format), and JumpCloud's own
        ("givenName", "first_name"),
        ("sn", "last_name"),
        ("mail", "email"),
        ("firstName", "first_name"),
        ("lastName", "last_name"),
        # OIDs (Shibboleth; SimpleSAMLphp's "oid" format) and their urn:mace forms
        ("urn:oid:2.5.4.42", "first_name"),
        ("urn:oid:2.5.4.4", "last_name"),
        ("urn:oid:0.9.2342.19200300.100.1.3", "email"),
        ("urn:mace:dir:attribute-def:givenName", "first_name"),
        ("urn:mace:dir:attribute-def:sn", "last_name"),
        ("urn:mace:dir:attribute-def:mail", "email"),
        # Entra ID and AD FS claim URIs
        (ENTRA + "givenname", "first_name"),
        (ENTRA + "surname", "last_name"),
        (ENTRA + "emailaddress", "email"),
        # OpenID-style names, Okta and Google Workspace mappings as admins often name them, OneLogin's
        ("given_name", "first_name"),
        ("family_name", "last_name"),
        ("FirstName", "first_name"),
        ("LastName", "last_name"),
        ("User.FirstName", "first_name"),
        ("User.LastName", "last_name"),
        ("User.email", "email"),
        # Not a first or last name: the whole display name, Entra's UPN claim, LDAP's cn
        ("http://schemas.microsoft.com/identity/claims/displayname", None),
        ("displayName", None),
        ("cn", None),
        (ENTRA + "name", "username"),
        ("http://schemas.microsoft.com/identity/claims/objectidentifier", None),
    ],
)
def test_common_attribute_names_fill_the_profile_field_they_mean(name, field):
    value = "x@example.com" if field == "email" else "Value"
    profile = profile_from_attributes({name: [value]})
    filled = {k: v for k, v in profile.__dict__.items() if v}
    assert filled == ({field: value} if field else {})


def test_simplesamlphp_oid_attributes_update_the_profile_through_the_acs(client, idp, group, alice):
    attributes = {
        "urn:oid:2.5.4.42": ["Alicia"],
        "urn:oid:2.5.4.4": ["Pleasance"],
        "urn:oid:0.9.2342.19200300.100.1.3": ["alice.liddell@example.com"],
        "http://schemas.microsoft.com/identity/claims/displayname": ["Alice P. Liddell"],
    }
    xml = idp.response(sp_of(group), name_id="alice@example.com", attributes=attributes)
    assert acs_post(client, group, xml).status_code == 302
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name, alice.email) == ("Alicia", "Pleasance", "alice.liddell@example.com")
