"""Issue 18 item 1: the group's edit form is a path of trust and privilege like any other.

A session without a recent sign-in cannot change what an enabled group trusts, or what its users may
become; with a recent sign-in a change of trust is held for approval, and until then a response
signed with the new key is refused while the old key still signs in. One test walks every field
of the form, so a new field cannot arrive unclassified.
"""

from base64 import b64encode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import Client

from accounts.models import Event, UserSession
from accounts.reauth import MSG_REAUTH
from ssogroups.forms import SSOGroupForm, ssogroup_initial
from ssogroups.intake import metadata_load, ssogroup_create_from_metadata
from ssogroups.metadata import certificate_load
from ssogroups.models import SSOGroup, SSOTrustChange
from tests.conftest import force_recent_login
from tests.ssogroups import samples as s
from tests.ssogroups.saml.idp import TestIdP, sp_of

ENTITY = "https://idp.example.test/saml"
SSO = "https://idp.example.test/sso"


def metadata(cert_b64: str, *, location: str = SSO, entity_id: str = ENTITY) -> str:
    return s.idp_metadata(cert_b64, entity_id=entity_id, location=location)


def _group(account, slug: str, cert_b64: str, *, enable: bool) -> SSOGroup:
    source = metadata_load(xml=metadata(cert_b64))
    return ssogroup_create_from_metadata(
        account=account, name=slug.title(), slug=slug, source=source, actor="test", enable=enable
    )


@pytest.fixture
def group(account, old_keys) -> SSOGroup:
    return _group(account, "idp", old_keys.cert_b64, enable=True)


@pytest.fixture
def draft(account, old_keys) -> SSOGroup:
    """Never enabled: set up freely (still by a person with a recent sign-in)."""
    return _group(account, "draft", old_keys.cert_b64, enable=False)


def edit_data(group: SSOGroup, **overrides) -> dict:
    """What the edit page posts when the admin changes only ``overrides``."""
    data = {k: ("on" if v is True else v) for k, v in ssogroup_initial(group).items() if v not in (False, None)}
    data["scim_roles_shown"] = "1"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def snapshot(group: SSOGroup) -> dict:
    """Everything of the group that a change could touch, and every change-related row and event."""
    fresh = SSOGroup.objects.get(pk=group.pk)
    row = model_to_dict(fresh)
    row.pop("updated_at", None)
    return {
        "row": row,
        "certificates": sorted(fresh.certificates.values_list("sha256_fingerprint", flat=True)),
        "pending": sorted(fresh.pending_certificates.values_list("sha256_fingerprint", flat=True)),
        "trust_change": list(SSOTrustChange.objects.filter(group=group).values_list("version", flat=True)),
        "domains": sorted(fresh.domains.values_list("domain", flat=True)),
        "events": Event.objects.count(),
    }


def assert_refused(response, before: dict, group: SSOGroup) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith("/account/reauth?next=")
    assert snapshot(group) == before  # nothing written, not even an event


def post_edit(client: Client, group: SSOGroup, data: dict):
    return client.post(f"/account/sso/{group.slug}/edit", data)


# --- item 1: a stale session replacing an enabled group's signing key --------------------------


def _pasted_certificate(keys) -> dict:
    return {"certificates": keys.cert_pem}


def _pasted_metadata(keys) -> dict:
    return {"metadata_xml": metadata(keys.cert_b64)}


def _uploaded_metadata(keys) -> dict:
    return {"metadata_file": SimpleUploadedFile("md.xml", metadata(keys.cert_b64).encode(), "text/xml")}


NEW_KEY_BY = [_pasted_certificate, _pasted_metadata, _uploaded_metadata]


@pytest.mark.parametrize("how", NEW_KEY_BY, ids=lambda f: f.__name__)
def test_a_stale_session_cannot_give_an_enabled_group_a_new_key(client, admin, group, new_keys, how):
    client.force_login(admin)  # signed in long ago: no recent sign-in time
    before = snapshot(group)
    response = post_edit(client, group, edit_data(group, **how(new_keys)))
    assert_refused(response, before, group)
    assert MSG_REAUTH in [str(m) for m in client.get(response["Location"]).context["messages"]]


@pytest.mark.parametrize("how", NEW_KEY_BY, ids=lambda f: f.__name__)
def test_a_recent_session_gets_the_new_key_held_and_it_signs_nobody_in(
    tmp_path, client, admin, group, old_keys, new_keys, make_user, how
):
    make_user(group.account, "root@example.com", sso_group=group, role="admin")
    force_recent_login(client, admin)

    response = post_edit(client, group, edit_data(group, **how(new_keys)))

    assert response.status_code == 302 and response["Location"] == "/account/sso/idp/"
    new_fp = certificate_load(new_keys.cert_b64).sha256_fingerprint
    fresh = SSOGroup.objects.get(pk=group.pk)
    assert list(fresh.certificates.values_list("sha256_fingerprint", flat=True)) != [new_fp]
    assert list(fresh.pending_certificates.values_list("sha256_fingerprint", flat=True)) == [new_fp]
    event = Event.objects.get(event="sso_group_trust_change_pending")
    assert (event.actor, event.target, event.changes["source"]) == (admin.username, "idp", "form")

    # The new key cannot sign in a managed admin; the old one still can.
    acs = f"/api/v1/users/saml/{group.account_id}/idp/consume"

    def post(keys) -> int:
        xml = TestIdP(tmp_path / keys.cert_b64[-8:], keys, entity_id=ENTITY).response(
            sp_of(group), name_id="root@example.com"
        )
        return Client().post(acs, {"SAMLResponse": b64encode(xml.encode()).decode()}).status_code

    sessions = UserSession.objects.count()
    assert post(new_keys) == 403
    assert UserSession.objects.count() == sessions
    assert Event.objects.filter(event="sso_login_failure").latest("id").reason == "bad_signature"
    assert post(old_keys) == 302


def test_a_draft_group_takes_a_new_key_at_once_from_a_recent_session(client, admin, draft, new_keys):
    force_recent_login(client, admin)
    response = post_edit(client, draft, edit_data(draft, certificates=new_keys.cert_pem))
    assert response.status_code == 302
    new_fp = certificate_load(new_keys.cert_b64).sha256_fingerprint
    assert list(draft.certificates.values_list("sha256_fingerprint", flat=True)) == [new_fp]
    assert not SSOTrustChange.objects.exists()


def test_a_stale_session_cannot_set_up_a_draft_groups_key_either(client, admin, draft, new_keys):
    client.force_login(admin)
    before = snapshot(draft)
    assert_refused(post_edit(client, draft, edit_data(draft, certificates=new_keys.cert_pem)), before, draft)


def test_enabling_from_the_group_page_needs_a_recent_sign_in(client, admin, draft):
    client.force_login(admin)
    before = snapshot(draft)
    assert_refused(client.post("/account/sso/draft/enable"), before, draft)
    force_recent_login(client, admin)
    assert client.post("/account/sso/draft/enable").status_code == 302
    assert SSOGroup.objects.get(pk=draft.pk).enabled is True


def test_disabling_a_compromised_group_needs_no_recent_sign_in(client, admin, group):
    client.force_login(admin)
    assert client.post("/account/sso/idp/disable").status_code == 302
    assert SSOGroup.objects.get(pk=group.pk).enabled is False


def test_a_stale_session_cannot_create_a_group_with_a_key(client, admin, old_keys):
    client.force_login(admin)
    before = (SSOGroup.objects.count(), Event.objects.count())
    data = {"name": "New", "metadata_xml": metadata(old_keys.cert_b64), "default_role": "reporting"}
    data |= {"signature_requirement": "either", "allow_idp_initiated": "on"}
    response = client.post("/account/sso/new", data)
    assert response.status_code == 302 and response["Location"].startswith("/account/reauth?")
    assert (SSOGroup.objects.count(), Event.objects.count()) == before


# --- every field of the form ----------------------------------------------------------------------

TRUST, PRIVILEGE, NEITHER = "trust", "privilege", "neither"

# Every field of SSOGroupForm, classified. A field missing here fails the test below: decide first
# whether it changes what a group trusts (held on an enabled group), what its users may do
# (needs a recent sign-in), or neither (renaming, the group's ID, claimed domains: see
# docs/security.md "Changes of trust").
FORM_FIELDS = {
    "metadata_file": TRUST,
    "metadata_xml": TRUST,
    "metadata_url": TRUST,
    "name": NEITHER,
    "slug": NEITHER,
    "certificates": TRUST,
    "certificate_file": TRUST,
    "sso_url": TRUST,
    "idp_entity_id": TRUST,
    # "Identify users by": which value of a signed assertion names the user. An attribute the user
    # may edit at the IdP would let her sign in as someone else: trust material, held.
    "identify_by": TRUST,
    "identity_attribute": TRUST,
    "allow_idp_initiated": PRIVILEGE,
    "jit_provisioning": PRIVILEGE,
    "default_role": PRIVILEGE,
    "scim_roles": PRIVILEGE,
    "adopt_existing_users": PRIVILEGE,
    "domains": NEITHER,
    "signature_requirement": PRIVILEGE,
    "allow_sha1": PRIVILEGE,
    # Turning it off accepts assertions anyone on the path can read: a person's recent sign-in.
    "require_encrypted_assertions": PRIVILEGE,
    # Whether we sign our requests: what we send, not whom we trust or what a user may do.
    "sign_authn_requests": NEITHER,
    "enabled": PRIVILEGE,
}


def change_of(field: str, keys, served_url: str) -> dict:
    """The form data that changes ``field`` (and only it) on the fixtures' groups."""
    return {
        "metadata_file": _uploaded_metadata(keys),
        "metadata_xml": _pasted_metadata(keys),
        "metadata_url": {"metadata_url": served_url},
        "name": {"name": "Renamed"},
        "slug": {"slug": "renamed"},
        "certificates": _pasted_certificate(keys),
        "certificate_file": {"certificate_file": SimpleUploadedFile("c.pem", keys.cert_pem.encode())},
        "sso_url": {"sso_url": "https://look-alike.example/sso"},
        "idp_entity_id": {"idp_entity_id": "https://other-idp.example/saml"},
        "identify_by": {"identify_by": "attribute", "identity_attribute": "mail"},
        "identity_attribute": {"identify_by": "attribute", "identity_attribute": "urn:oid:0.9.2342.19200300.100.1.3"},
        "allow_idp_initiated": {"allow_idp_initiated": None},
        "jit_provisioning": {"jit_provisioning": "on"},
        "default_role": {"default_role": "admin"},
        "scim_roles": {"scim_roles": ["reporting", "templates", "developer", "admin"]},
        "adopt_existing_users": {"adopt_existing_users": "on"},
        "domains": {"domains": "example.org"},
        "signature_requirement": {"signature_requirement": "both"},
        "allow_sha1": {"allow_sha1": "on"},
        "require_encrypted_assertions": {"require_encrypted_assertions": "on"},
        "sign_authn_requests": {"sign_authn_requests": "on"},
        "enabled": {"enabled": "on"},
    }[field]


def test_every_form_field_is_classified():
    assert set(SSOGroupForm.base_fields) == set(FORM_FIELDS), "classify the new field in FORM_FIELDS"


@pytest.mark.parametrize("field", [f for f, kind in FORM_FIELDS.items()])
def test_each_field_of_the_form_passes_the_gate(
    client, admin, group, draft, new_keys, allow_private, metadata_server, field
):
    kind = FORM_FIELDS[field]
    target = draft if field == "enabled" else group  # enabling is the change; the other group already is
    url = metadata_server.serve("/new.xml", metadata(new_keys.cert_b64).encode())
    data = edit_data(target, **change_of(field, new_keys, url))

    client.force_login(admin)
    before = snapshot(target)
    response = post_edit(client, target, data)
    if kind == NEITHER:
        assert response.status_code == 302 and not response["Location"].startswith("/account/reauth")
        assert snapshot(SSOGroup.objects.get(pk=target.pk)) != before
        return
    assert_refused(response, before, target)

    force_recent_login(client, admin)
    data = edit_data(target, **change_of(field, new_keys, url))  # an upload is read once
    response = post_edit(client, target, data)
    assert response.status_code == 302 and not response["Location"].startswith("/account/reauth"), response
    after = snapshot(target)
    if kind == TRUST:  # held: the group trusts and sends people where it did, the proposal waits
        assert {k: after[k] for k in ("certificates",)} == {k: before[k] for k in ("certificates",)}
        trusted = ("idp_entity_id", "sso_url", "sso_binding", "sso_endpoints", "slo_url", "idp_metadata_url")
        for column in (*trusted, "identity_attribute"):
            assert after["row"][column] == before["row"][column], column
        assert after["trust_change"] and after["trust_change"] != before["trust_change"]
        assert Event.objects.filter(event="sso_group_trust_change_pending", target=target.slug).exists()
    else:  # applied, with its event
        assert after["row"] != before["row"]
        assert not after["trust_change"]


def test_a_held_change_is_validated_before_it_is_held(client, admin, group):
    """An endpoint that could never be approved is refused on the form, not first at approval."""
    force_recent_login(client, admin)
    before = snapshot(group)
    response = post_edit(client, group, edit_data(group, sso_url="ftp://idp.example.test/sso"))
    assert response.status_code == 400
    assert response.context["form"].errors["sso_url"] == ["The SAML 2.0 Endpoint must be an http(s) URL."]
    assert snapshot(group) == before


def test_a_stale_session_cannot_refresh_from_the_url(client, admin, group, allow_private, metadata_server):
    SSOGroup.objects.filter(pk=group.pk).update(idp_metadata_url=metadata_server.url("/metadata"))
    client.force_login(admin)
    before = snapshot(group)
    assert_refused(client.post("/account/sso/idp/refresh"), before, group)
    assert metadata_server.hits == []  # not even fetched
