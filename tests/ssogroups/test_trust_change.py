"""A refresh that changes an enabled group's trust (certificates, endpoint) holds it for approval.

The group keeps verifying sign-ins with the certificates it had and sending people where it did;
the proposal is shown (fingerprints, expiry, endpoints) with its version; approving exactly that
version applies it, rejecting discards it, and a different proposal waiting by then is refused.
"""

from base64 import b64encode

import pytest
from django.test import Client
from django.utils.html import escape

from accounts.models import Event, UserSession
from ssogroups.intake import metadata_load, ssogroup_create_from_metadata, ssogroup_refresh
from ssogroups.metadata import certificate_load
from ssogroups.models import SSOCertificate, SSOGroup, SSOPendingCertificate, SSOTrustChange
from ssogroups.sp_keys import sp_key_current
from ssogroups.trust import MSG_NOTHING_PENDING, MSG_PROPOSAL_CHANGED
from ssogroups.views import MSG_TRUST_APPROVED, MSG_TRUST_PENDING, MSG_TRUST_REJECTED
from tests.conftest import force_recent_login
from tests.ssogroups import samples as s
from tests.ssogroups.saml.idp import TestIdP, sp_of
from tests.support.keys import make_keypair

ENTITY = "https://idp.example.test/saml"
URL = "https://md.example/idp.xml"


def metadata(*certs_b64: str, location: str = "https://idp.example.test/sso") -> bytes:
    extra = "".join(s.key_descriptor(c) for c in certs_b64[1:])
    return s.idp_metadata(certs_b64[0], entity_id=ENTITY, location=location, extra=extra).encode()


def fingerprint(cert_b64: str) -> str:
    return certificate_load(cert_b64).sha256_fingerprint


@pytest.fixture
def group(account, old_keys) -> SSOGroup:
    # The deployment's SP key exists, as in any deployment that has shown a group page: the pages
    # these tests post to would otherwise make it (and its sp_key_create event) on first view.
    sp_key_current()
    source = metadata_load(url=URL, fetch=lambda url: metadata(old_keys.cert_b64))
    return ssogroup_create_from_metadata(
        account=account, name="IdP", slug="idp", source=source, actor="test", enable=True
    )


def refresh(group: SSOGroup, document: bytes) -> SSOGroup:
    return ssogroup_refresh(group=group, actor="ssogroups_refresh", fetch=lambda url: document)


def version(group: SSOGroup) -> str:
    return SSOTrustChange.objects.get(group=group).version


def trusted(group: SSOGroup) -> set[str]:
    return set(SSOCertificate.objects.filter(group=group).values_list("sha256_fingerprint", flat=True))


def pending(group: SSOGroup) -> set[str]:
    return set(SSOPendingCertificate.objects.filter(group=group).values_list("sha256_fingerprint", flat=True))


# --- the refresh ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["replaced", "added", "removed"])
def test_a_refresh_with_different_certificates_keeps_the_old_ones_and_records_the_proposal(
    group, old_keys, new_keys, kind
):
    third = make_keypair("third")
    if kind == "removed":  # start from a rollover pair; the refresh drops one
        refresh(group, metadata(old_keys.cert_b64))
        group.certificates.create(pem=third.cert_pem, sha256_fingerprint=fingerprint(third.cert_b64))
    before_trusted = trusted(group)
    documents = {
        "replaced": metadata(new_keys.cert_b64, location="https://idp.example.test/sso-v2"),
        "added": metadata(old_keys.cert_b64, new_keys.cert_b64, location="https://idp.example.test/sso-v2"),
        "removed": metadata(old_keys.cert_b64, location="https://idp.example.test/sso-v2"),
    }
    proposed = {
        "replaced": {fingerprint(new_keys.cert_b64)},
        "added": {fingerprint(old_keys.cert_b64), fingerprint(new_keys.cert_b64)},
        "removed": {fingerprint(old_keys.cert_b64)},
    }[kind]

    group = refresh(group, documents[kind])

    assert trusted(group) == before_trusted  # nothing applied
    assert pending(group) == proposed
    # Item 2: the endpoint moves only with the certificates, on approval.
    assert SSOGroup.objects.get(pk=group.pk).sso_url == "https://idp.example.test/sso"
    change = SSOTrustChange.objects.get(group=group)
    assert change.values["sso_url"] == "https://idp.example.test/sso-v2" and change.certificates_changed
    event = Event.objects.get(event="sso_group_trust_change_pending")
    assert (event.actor, event.target, event.outcome) == ("ssogroups_refresh", "idp", "success")
    assert event.changes["version"] == change.version and event.changes["source"] == "refresh"
    assert {c["sha256_fingerprint"] for c in event.changes["proposed"]["certificates"]} == proposed
    assert all(c["not_after"].endswith("Z") for c in event.changes["proposed"]["certificates"])
    assert {c["sha256_fingerprint"] for c in event.changes["current"]["certificates"]} == before_trusted
    assert event.changes["current"]["sso_url"] == "https://idp.example.test/sso"
    assert not Event.objects.filter(event="sso_group_refresh", changes__has_key="certificates").exists()


def test_a_refresh_with_only_a_new_endpoint_holds_it(group, old_keys, client, make_user):
    """Item 2: whoever controls the metadata URL cannot send /login users to another host."""
    group = refresh(group, metadata(old_keys.cert_b64, location="https://look-alike.example/sso"))
    assert SSOGroup.objects.get(pk=group.pk).sso_url == "https://idp.example.test/sso"
    change = SSOTrustChange.objects.get(group=group)
    assert change.values["sso_url"] == "https://look-alike.example/sso" and not change.certificates_changed
    assert pending(group) == set()
    event = Event.objects.get(event="sso_group_trust_change_pending")
    assert event.changes["proposed"]["sso_url"] == "https://look-alike.example/sso"
    start = client.get(f"/api/v1/users/saml/{group.account_id}/idp/login")
    assert start.status_code == 302 and start["Location"].startswith("https://idp.example.test/sso?")


def test_a_group_never_enabled_takes_the_refresh_at_once(account, make_ssogroup, old_keys, new_keys):
    bare = make_ssogroup(
        account, slug="draft", idp_entity_id=ENTITY, enabled=False, idp_metadata_url=URL, cert_pem=old_keys.cert_pem
    )
    bare = refresh(bare, metadata(new_keys.cert_b64, location="https://idp.example.test/sso-v2"))
    assert trusted(bare) == {fingerprint(new_keys.cert_b64)}
    assert SSOGroup.objects.get(pk=bare.pk).sso_url == "https://idp.example.test/sso-v2"
    assert not SSOTrustChange.objects.exists()
    assert not Event.objects.filter(event="sso_group_trust_change_pending").exists()


def test_the_same_proposal_again_records_nothing_new(group, new_keys):
    refresh(group, metadata(new_keys.cert_b64))
    rows = list(SSOPendingCertificate.objects.values_list("pk", flat=True))
    refresh(group, metadata(new_keys.cert_b64))  # a scheduled ssogroups_refresh, an hour later
    assert list(SSOPendingCertificate.objects.values_list("pk", flat=True)) == rows
    assert Event.objects.filter(event="sso_group_trust_change_pending").count() == 1


def test_a_newer_proposal_replaces_the_older_one(group, new_keys):
    refresh(group, metadata(new_keys.cert_b64))
    newer = make_keypair("newer")
    refresh(group, metadata(newer.cert_b64))
    assert pending(group) == {fingerprint(newer.cert_b64)}
    assert Event.objects.filter(event="sso_group_trust_change_pending").count() == 2


def test_metadata_back_to_the_trusted_set_withdraws_the_proposal(group, old_keys, new_keys):
    refresh(group, metadata(new_keys.cert_b64))
    refresh(group, metadata(old_keys.cert_b64))
    assert pending(group) == set()
    assert trusted(group) == {fingerprint(old_keys.cert_b64)}


def test_a_group_without_certificates_takes_its_first_ones_from_the_refresh(account, make_ssogroup, new_keys):
    group = make_ssogroup(account, slug="bare", idp_entity_id=ENTITY, enabled=False, idp_metadata_url=URL)
    group = refresh(group, metadata(new_keys.cert_b64))
    assert trusted(group) == {fingerprint(new_keys.cert_b64)}
    assert not Event.objects.filter(event="sso_group_trust_change_pending").exists()


# --- sign-in while a change waits ------------------------------------------------------------


def test_sign_in_keeps_using_the_trusted_key_until_approval(tmp_path, group, old_keys, new_keys, make_user, admin):
    make_user(group.account, "alice@example.com", sso_group=group)
    refresh(group, metadata(new_keys.cert_b64))
    acs = f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume"
    old_idp = TestIdP(tmp_path / "old", old_keys, entity_id=ENTITY)
    new_idp = TestIdP(tmp_path / "new", new_keys, entity_id=ENTITY)

    def post(idp: TestIdP) -> int:
        xml = idp.response(sp_of(group), name_id="alice@example.com")
        return Client().post(acs, {"SAMLResponse": b64encode(xml.encode()).decode()}).status_code

    sessions = UserSession.objects.count()
    assert post(new_idp) == 403  # the proposed key is not trusted
    assert UserSession.objects.count() == sessions
    assert Event.objects.filter(event="sso_login_failure").latest("id").reason == "bad_signature"
    assert post(old_idp) == 302

    admin_client = Client()
    force_recent_login(admin_client, admin)
    admin_client.post("/account/sso/idp/trust-change/approve", {"version": version(group)})
    assert post(new_idp) == 302
    assert post(old_idp) == 403


# --- the admin's page and actions ----------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin):
    force_recent_login(client, admin)  # approving a new key needs a recent sign-in
    return client


def test_group_page_shows_the_new_fingerprints_and_expiry(admin_client, group, new_keys):
    refresh(group, metadata(new_keys.cert_b64))
    proposed = SSOPendingCertificate.objects.get()
    page = admin_client.get("/account/sso/idp/").content.decode()
    assert "A change of trust is waiting for your approval" in page
    assert proposed.sha256_fingerprint.replace(":", ":<wbr>") in page  # wraps only at its colons
    assert f"{proposed.not_after:%Y-%m-%d %H:%M} UTC" in page
    assert 'action="/account/sso/idp/trust-change/approve"' in page
    assert 'action="/account/sso/idp/trust-change/reject"' in page
    assert page.count(f'name="version" value="{version(group)}"') == 2


def test_refresh_from_the_page_says_the_certificates_wait(
    admin_client, group, new_keys, allow_private, metadata_server
):
    SSOGroup.objects.filter(pk=group.pk).update(
        idp_metadata_url=metadata_server.serve("/md", metadata(new_keys.cert_b64))
    )
    response = admin_client.post("/account/sso/idp/refresh", follow=True)
    assert response.status_code == 200
    assert MSG_TRUST_PENDING in [str(m) for m in response.context["messages"]]
    assert pending(group) == {fingerprint(new_keys.cert_b64)}


def test_approve_applies_the_proposal(admin_client, admin, group, old_keys, new_keys):
    refresh(group, metadata(new_keys.cert_b64, location="https://idp.example.test/sso-v2"))
    response = admin_client.post("/account/sso/idp/trust-change/approve", {"version": version(group)}, follow=True)
    assert response.redirect_chain == [("/account/sso/idp/", 302)]
    assert escape(MSG_TRUST_APPROVED.format(name="IdP")) in response.content.decode()
    assert trusted(group) == {fingerprint(new_keys.cert_b64)}
    assert SSOGroup.objects.get(pk=group.pk).sso_url == "https://idp.example.test/sso-v2"
    assert pending(group) == set() and not SSOTrustChange.objects.exists()
    event = Event.objects.get(event="sso_group_trust_change_approve")
    assert (event.actor, event.target) == (admin.username, "idp")
    assert event.changes["certificates"] == [fingerprint(new_keys.cert_b64)]
    assert event.changes["sso_url"] == "https://idp.example.test/sso-v2"


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_deciding_on_what_was_shown_after_a_refresh_changed_it_is_refused(
    admin_client, group, old_keys, new_keys, action
):
    """Item 3: the admin looks at one proposal; a refresh replaces it before the click."""
    refresh(group, metadata(new_keys.cert_b64))
    shown = version(group)
    attacker = make_keypair("attacker")
    refresh(group, metadata(attacker.cert_b64))
    before = (Event.objects.count(), trusted(group), pending(group), version(group))

    response = admin_client.post(f"/account/sso/idp/trust-change/{action}", {"version": shown})

    assert response.status_code == 409
    assert escape(MSG_PROPOSAL_CHANGED) in response.content.decode()
    assert (Event.objects.count(), trusted(group), pending(group), version(group)) == before
    assert trusted(group) == {fingerprint(old_keys.cert_b64)}


def test_a_decision_without_a_version_is_refused(admin_client, group, old_keys, new_keys):
    refresh(group, metadata(new_keys.cert_b64))
    response = admin_client.post("/account/sso/idp/trust-change/approve")
    assert response.status_code == 409
    assert trusted(group) == {fingerprint(old_keys.cert_b64)}
    assert not Event.objects.filter(event="sso_group_trust_change_approve").exists()


def test_reject_discards_the_proposal(admin_client, admin, group, old_keys, new_keys):
    refresh(group, metadata(new_keys.cert_b64))
    response = admin_client.post("/account/sso/idp/trust-change/reject", {"version": version(group)}, follow=True)
    assert response.redirect_chain == [("/account/sso/idp/", 302)]
    assert escape(MSG_TRUST_REJECTED.format(name="IdP")) in response.content.decode()
    assert trusted(group) == {fingerprint(old_keys.cert_b64)}
    assert pending(group) == set()
    event = Event.objects.get(event="sso_group_trust_change_reject")
    assert (event.actor, event.target) == (admin.username, "idp")
    rejected = event.changes["rejected"]["certificates"]
    assert [c["sha256_fingerprint"] for c in rejected] == [fingerprint(new_keys.cert_b64)]
    assert "A change of trust is waiting" not in admin_client.get("/account/sso/idp/").content.decode()


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_nothing_pending_is_an_error_and_writes_nothing(admin_client, group, action):
    before = (Event.objects.count(), trusted(group))
    response = admin_client.post(f"/account/sso/idp/trust-change/{action}", {"version": "x"}, follow=True)
    assert response.redirect_chain == [("/account/sso/idp/", 302)]
    assert MSG_NOTHING_PENDING in [str(m) for m in response.context["messages"]]
    assert (Event.objects.count(), trusted(group)) == before


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_another_accounts_admin_cannot_decide(client, make_account, group, new_keys, action):
    refresh(group, metadata(new_keys.cert_b64))
    _, other_admin = make_account()
    force_recent_login(client, other_admin)
    before = (Event.objects.count(), trusted(group), pending(group))
    assert client.post(f"/account/sso/idp/trust-change/{action}", {"version": version(group)}).status_code == 404
    assert client.get(f"/account/sso/idp/trust-change/{action}").status_code == 405
    assert (Event.objects.count(), trusted(group), pending(group)) == before


def test_approving_needs_a_recent_sign_in(client, admin, group, new_keys):
    refresh(group, metadata(new_keys.cert_b64))
    client.force_login(admin)  # a session without a recent sign-in time
    before = sorted(group.certificates.values_list("sha256_fingerprint", flat=True))

    response = client.post("/account/sso/idp/trust-change/approve", {"version": version(group)})

    assert response.status_code == 302
    assert response["Location"].startswith("/account/reauth")
    assert sorted(group.certificates.values_list("sha256_fingerprint", flat=True)) == before
    assert not Event.objects.filter(event="sso_group_trust_change_approve").exists()
