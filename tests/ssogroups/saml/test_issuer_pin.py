"""Name + Certificate + Endpoint is enough: the first response whose signature verifies against the
group's certificate pins its Issuer; every later response must carry that Issuer."""

from accounts.models import Event
from ssogroups.models import SSOGroup
from ssogroups.saml.views import MSG_FAILED
from tests.ssogroups.saml.conftest import acs_post, counts, last_failure, session_json
from tests.ssogroups.saml.idp import TestIdP, sp_of
from tests.support.keys import make_keypair


def _unpinned(group):
    SSOGroup.objects.filter(pk=group.pk).update(idp_entity_id="")
    group.refresh_from_db()
    return group


def test_first_verified_response_pins_its_issuer_and_signs_in(client, idp, group, alice):
    group = _unpinned(group)
    response = acs_post(client, group, idp.response(sp_of(group), name_id="alice@example.com"))
    assert response.status_code == 302
    assert session_json(client).json()["username"] == "alice@example.com"
    group.refresh_from_db()
    assert group.idp_entity_id == idp.entity_id
    assert group.issuer_pinned_at is not None
    event = Event.objects.get(event="sso_group_issuer_pinned")
    assert (event.actor, event.target, event.changes) == (idp.entity_id, group.slug, {"idp_entity_id": idp.entity_id})


def test_after_pinning_another_issuer_is_refused(client, tmp_path, idp, idp_keys, group, alice):
    group = _unpinned(group)
    assert acs_post(client, group, idp.response(sp_of(group), name_id="alice@example.com")).status_code == 302
    client.post("/logout")
    # Same key, other Issuer: the pin holds even for a correctly signed response.
    other = TestIdP(tmp_path / "other", idp_keys, entity_id="https://other.example.test/saml")
    before = counts()
    response = acs_post(client, group, other.response(sp_of(group), name_id="alice@example.com"))
    assert response.status_code == 403
    assert MSG_FAILED.encode() in response.content
    assert last_failure().reason == "wrong_issuer"
    assert session_json(client).status_code == 401
    assert counts() == before
    group.refresh_from_db()
    assert group.idp_entity_id == idp.entity_id
    assert Event.objects.filter(event="sso_group_issuer_pinned").count() == 1


def test_response_signed_by_another_key_pins_nothing(client, tmp_path, idp, group, alice):
    group = _unpinned(group)
    impostor = TestIdP(tmp_path / "impostor", make_keypair("impostor"), entity_id="https://impostor.example.test")
    before = counts()
    response = acs_post(client, group, impostor.response(sp_of(group), name_id="alice@example.com"))
    assert response.status_code == 403
    assert last_failure().reason == "bad_signature"
    assert session_json(client).status_code == 401
    assert counts() == before
    group.refresh_from_db()
    assert (group.idp_entity_id, group.issuer_pinned_at) == ("", None)
    assert not Event.objects.filter(event="sso_group_issuer_pinned").exists()


def test_unsigned_response_pins_nothing(client, idp, group, alice):
    group = _unpinned(group)
    xml = idp.response(sp_of(group), name_id="alice@example.com", sign_assertion=False)
    assert acs_post(client, group, xml).status_code == 403
    assert last_failure().reason == "unsigned"
    group.refresh_from_db()
    assert group.idp_entity_id == ""
    assert not Event.objects.filter(event="sso_group_issuer_pinned").exists()


def test_response_without_issuer_pins_nothing(client, idp, group, alice):
    group = _unpinned(group)

    def drop_issuers(tree):
        for issuer in tree.iter("{urn:oasis:names:tc:SAML:2.0:assertion}Issuer"):
            issuer.text = ""

    xml = idp.response(sp_of(group), name_id="alice@example.com", mutate=drop_issuers)
    assert acs_post(client, group, xml).status_code == 403
    assert last_failure().reason == "wrong_issuer"
    group.refresh_from_db()
    assert group.idp_entity_id == ""
    assert session_json(client).status_code == 401


def test_sp_initiated_sign_in_of_an_unpinned_group_pins_too(client, idp, group, alice):
    from tests.ssogroups.saml.idp import authn_request_from_redirect

    group = _unpinned(group)
    start = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login")
    assert start.status_code == 302
    request, query = authn_request_from_redirect(start["Location"])
    assert request.get("Destination") == group.sso_url
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request.get("ID"))
    assert "RelayState" not in query
    assert acs_post(client, group, xml).status_code == 302
    group.refresh_from_db()
    assert group.idp_entity_id == idp.entity_id
