"""The group page's "Test sign-in": a real SP-initiated round trip through the real ACS that signs
nobody in, writes no user, and reports every check, what was received and whom it maps to."""

import pytest

from accounts.models import Event, User, UserSession
from tests.ssogroups.saml.conftest import acs_post
from tests.ssogroups.saml.idp import authn_request_from_redirect, sp_of


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _start(client, group) -> tuple[str, str]:
    response = client.post(f"/account/sso/{group.slug}/test-sign-in")
    assert response.status_code == 302
    request, query = authn_request_from_redirect(response["Location"])
    return request.get("ID"), query["RelayState"][0]


def _report(client, group, response):
    assert response.status_code == 302
    assert response["Location"].startswith(f"/account/sso/{group.slug}/test-sign-in/")
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode().replace("<wbr>", "")


def test_success_reports_every_check_and_the_user_and_signs_nobody_in(admin_client, admin, idp, group, alice):
    request_id, relay = _start(admin_client, group)
    sessions = UserSession.objects.count()
    xml = idp.response(
        sp_of(group), name_id="alice@example.com", in_response_to=request_id, attributes={"firstName": ["Alicia"]}
    )
    page = _report(admin_client, group, acs_post(admin_client, group, xml, relay_state=relay))
    assert "Test sign-in: it works" in page
    for label in ("Signature", "Issuer", "Audience", "Destination and recipient", "Time window"):
        assert f'<span class="check-state">Passed</span> {label}' in page
    assert "alice@example.com" in page and "firstName" in page and "Alicia" in page
    # Her name as this sign-in would leave it (the IdP sent firstName Alicia), then her username.
    assert 'Maps to Alicia Liddell (<span class="ident">alice@example.com</span>).' in page
    # Nobody signed in, nothing about alice written; the admin is still herself.
    assert UserSession.objects.count() == sessions
    assert admin_client.get("/api/v1/session").json()["username"] == admin.username
    alice.refresh_from_db()
    assert alice.first_name == "Alice"
    assert not Event.objects.filter(event__in=["sso_login_success", "user_update_sso"]).exists()
    event = Event.objects.get(event="sso_test_sign_in")
    assert (event.outcome, event.target) == ("success", "alice@example.com")


def test_failure_names_the_reason_and_what_to_change(admin_client, idp, group, alice):
    request_id, relay = _start(admin_client, group)
    wrong_sp = sp_of(group)
    wrong_sp.entity_id = "https://elsewhere.example/metadata"
    xml = idp.response(wrong_sp, name_id="alice@example.com", in_response_to=request_id)
    page = _report(admin_client, group, acs_post(admin_client, group, xml, relay_state=relay))
    assert "Test sign-in: it failed" in page
    assert "The assertion&#x27;s Audience is not this group&#x27;s SP entity ID." in page
    assert "Paste this group&#x27;s Audience URI (SP Entity ID) into the IdP" in page
    assert '<span class="check-state">Failed</span> Audience' in page
    # A test is not a real sign-in failure: no diagnostics row, no sso_login_failure (issue 24).
    assert not group.login_failures.exists() and "#ref-" not in page
    event = Event.objects.get(event="sso_test_sign_in")
    assert (event.outcome, event.reason) == ("failure", "wrong_audience")
    assert not Event.objects.filter(event__in=["sso_login_success", "sso_login_failure"]).exists()


def test_unknown_user_with_jit_would_be_created_but_is_not(admin_client, idp, group):
    group.jit_provisioning = True
    group.save()
    users = User.objects.count()
    request_id, relay = _start(admin_client, group)
    xml = idp.response(sp_of(group), name_id="new@example.com", in_response_to=request_id)
    page = _report(admin_client, group, acs_post(admin_client, group, xml, relay_state=relay))
    assert "a new user would be created (JIT provisioning)" in page
    assert User.objects.count() == users
    assert not Event.objects.filter(event="user_create_jit").exists()


def test_unknown_user_without_jit_is_a_reported_failure(admin_client, idp, group):
    request_id, relay = _start(admin_client, group)
    xml = idp.response(sp_of(group), name_id="nobody@example.com", in_response_to=request_id)
    page = _report(admin_client, group, acs_post(admin_client, group, xml, relay_state=relay))
    assert "Test sign-in: it failed" in page
    assert "unknown_user" in page
    assert page.count('<span class="check-state">Passed</span>') == 5


def test_unsolicited_response_with_a_test_relay_state_signs_nobody_in(client, admin_client, idp, group, alice):
    _request_id, relay = _start(admin_client, group)
    sessions = UserSession.objects.count()
    xml = idp.response(sp_of(group), name_id="alice@example.com")  # no InResponseTo
    page = _report(admin_client, group, acs_post(admin_client, group, xml, relay_state=relay))
    assert "unknown_request" in page
    assert UserSession.objects.count() == sessions
    assert not Event.objects.filter(event="sso_login_success").exists()


def test_report_of_another_account_is_not_shown(admin_client, idp, group, alice, make_account, client):
    request_id, relay = _start(admin_client, group)
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    location = acs_post(admin_client, group, xml, relay_state=relay)["Location"]
    _other_account, other_admin = make_account()
    client.force_login(other_admin)
    response = client.get(location)
    assert response.status_code == 404
    assert b"alice@example.com" not in response.content


def test_disabled_group_cannot_be_tested(admin_client, group):
    group.enabled = False
    group.save()
    response = admin_client.post(f"/account/sso/{group.slug}/test-sign-in", follow=True)
    assert "Enable the group first" in response.content.decode()
    assert not group.pending_requests.exists()
