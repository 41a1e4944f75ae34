"""A test sign-in through a setup link: the real round trip through the real ACS, whose report comes
back to the link's own page (never the admin's), signs nobody in, and is recorded with the link."""

import pytest
from django.test import Client

from accounts.models import Event, UserSession
from tests.conftest import force_recent_login
from tests.console.test_setup_link import EMAIL, confirmed_client, make_link, page
from tests.ssogroups.saml.conftest import IDP_ENTITY_ID, acs_post
from tests.ssogroups.saml.idp import TestIdP, authn_request_from_redirect, sp_of
from tests.support.keys import shared_keypair


@pytest.fixture
def idp_keys():
    return shared_keypair("saml-idp-main")


@pytest.fixture
def idp(tmp_path, idp_keys):
    return TestIdP(tmp_path / "idp", idp_keys, entity_id=IDP_ENTITY_ID)


@pytest.fixture
def group(account, make_ssogroup, idp_keys):
    return make_ssogroup(account, slug="jumpcloud", cert_pem=idp_keys.cert_pem, idp_entity_id=IDP_ENTITY_ID)


def test_the_report_comes_back_to_the_link(account, admin, make_user, group, idp):
    make_user(account, "alice@example.com", sso_group=group)
    link, token = make_link(account, group, admin)
    holder = confirmed_client(token, link)
    response = holder.post(f"/setup/{link.public_id}/test")
    assert response.status_code == 302
    request, query = authn_request_from_redirect(response["Location"])
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request.get("ID"))
    sessions = UserSession.objects.count()
    answer = acs_post(holder, group, xml, relay_state=query["RelayState"][0])
    assert answer.status_code == 302 and answer["Location"].startswith(f"/setup/{link.public_id}/test/")
    report = holder.get(answer["Location"])
    assert report.status_code == 200 and "Test sign-in: it works" in page(report)
    assert UserSession.objects.count() == sessions
    assert holder.get("/api/v1/session").status_code == 401
    started = Event.objects.get(event="setup_link_test_sign_in")
    assert started.actor == f"setup-link:{link.public_id} {EMAIL}"
    assert Event.objects.get(event="sso_test_sign_in").outcome == "success"


def test_a_disabled_group_cannot_be_tested(account, admin, make_ssogroup):
    group = make_ssogroup(account, enabled=False)
    link, token = make_link(account, group, admin)
    holder = confirmed_client(token, link)
    before = Event.objects.count()
    response = holder.post(f"/setup/{link.public_id}/test")
    assert response.status_code == 400 and "Enable the group first" in page(response)
    assert Event.objects.count() == before


def test_another_groups_report_is_not_shown_through_the_link(account, admin, make_ssogroup, group, idp, make_user):
    """An admin's report of group A is not readable on the link of group B, even with its key."""
    make_user(account, "alice@example.com", sso_group=group)
    client = Client()
    force_recent_login(client, admin)
    start = client.post(f"/account/sso/{group.slug}/test-sign-in")
    request, query = authn_request_from_redirect(start["Location"])
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request.get("ID"))
    answer = acs_post(client, group, xml, relay_state=query["RelayState"][0])
    key = answer["Location"].rstrip("/").rsplit("/", 1)[-1]
    other = make_ssogroup(account)
    link, token = make_link(account, other, admin)
    holder = confirmed_client(token, link)
    response = holder.get(f"/setup/{link.public_id}/test/{key}")
    assert response.status_code == 404 and "That test report has expired" in page(response)
