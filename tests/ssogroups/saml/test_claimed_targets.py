"""Issue 24: a sign-in failure is found by the person it claimed to be (target marked claimed, never
linked to a user), and every test sign-in outcome is recorded and counted the same way."""

import json

import pytest
from django.test import Client

from accounts.models import Event
from sparksso import clock
from ssogroups.charts import signin_chart
from ssogroups.models import SSOLoginFailure
from tests.ssogroups.saml.conftest import acs_post
from tests.ssogroups.saml.idp import authn_request_from_redirect, sp_of


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _rows(html: str) -> str:
    return html.replace("<wbr>", "")


def test_filtering_the_event_log_on_her_name_finds_her_failures_marked_claimed(admin_client, idp, group, alice):
    browser = Client()  # alice's own browser
    assert acs_post(browser, group, idp.response(sp_of(group), name_id="alice@example.com")).status_code == 302
    unsigned = idp.response(sp_of(group), name_id="alice@example.com", sign_assertion=False, sign_response=False)
    assert acs_post(browser, group, unsigned).status_code == 403
    failure = Event.objects.get(event="sso_login_failure")
    assert (failure.actor, failure.target, failure.reason) == ("anonymous", "alice@example.com", "unsigned")
    assert failure.changes["target_claimed"] is True

    page = _rows(admin_client.get("/account/events/", {"target": "alice"}).content.decode())
    assert page.count("<tr><td") == 3  # her creation, her success and her failure
    assert '<span class="claimed">claimed: <span class="ident">alice@example.com</span></span>' in page
    assert page.count("claimed: ") == 1  # the proven sign-in is not marked
    assert "/account/users/" not in page.split('id="events"')[1]  # nothing links the claim to a user

    export = json.loads(
        b"".join(admin_client.get("/account/events/export.json", {"target": "alice"}).streaming_content)
    )
    assert [(e["event"], e["changes"].get("target_claimed")) for e in export["events"]] == [
        ("sso_login_failure", True),
        ("sso_login_success", None),
        ("user_create", None),
    ]
    other = json.loads(b"".join(admin_client.get("/account/events/export.json", {"target": "bob"}).streaming_content))
    assert other["events"] == []


def test_the_page_links_its_export_to_the_same_target(admin_client, group):
    page = admin_client.get("/account/events/", {"target": "alice"}).content.decode()
    assert 'href="/account/events/export.json?target=alice"' in page


def _test_sign_in(admin_client, group, idp, *, name_id: str, sp=None) -> None:
    response = admin_client.post(f"/account/sso/{group.slug}/test-sign-in")
    request, query = authn_request_from_redirect(response["Location"])
    xml = idp.response(sp or sp_of(group), name_id=name_id, in_response_to=request.get("ID"))
    answer = acs_post(admin_client, group, xml, relay_state=query["RelayState"][0])
    assert answer.status_code == 302 and "/test-sign-in/" in answer["Location"]


def test_a_wrong_audience_test_and_an_unknown_user_test_are_recorded_and_counted_alike(admin_client, idp, group, alice):
    wrong_sp = sp_of(group)
    wrong_sp.entity_id = "https://elsewhere.example/metadata"
    _test_sign_in(admin_client, group, idp, name_id="alice@example.com", sp=wrong_sp)
    _test_sign_in(admin_client, group, idp, name_id="nobody@example.com")

    events = Event.objects.filter(event__startswith="sso_").order_by("id")
    assert [(e.event, e.outcome, e.reason, e.target, e.changes.get("target_claimed")) for e in events] == [
        ("sso_test_sign_in", "failure", "wrong_audience", "alice@example.com", True),
        ("sso_test_sign_in", "failure", "unknown_user", "nobody@example.com", True),
    ]
    assert not SSOLoginFailure.objects.exists()
    chart = signin_chart(group=group, now=clock.now())
    assert (chart.total_failures, chart.total_successes, chart.reasons) == (0, 0, [])


def test_a_successful_test_names_the_proven_user_without_a_claim(admin_client, idp, group, alice):
    _test_sign_in(admin_client, group, idp, name_id="ALICE@example.com")
    event = Event.objects.get(event="sso_test_sign_in")
    assert (event.outcome, event.target, event.changes) == ("success", "alice@example.com", {"group": group.slug})
