"""The sign-in trace: every ACS attempt (real and test) keeps the decoded response without signature
values or certificates, the checks in order with their results, the user and the session; the
diagnostics row and the test report open it; it is pruned with the diagnostics."""

import hashlib
import json
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from sparksso import clock
from ssogroups.models import SignInTrace, SSOLoginFailure
from ssogroups.saml.acs import CHECKS
from ssogroups.saml.views import MAX_POST_BYTES
from ssogroups.sign_in_trace import (
    CHECK_REQUEST,
    CHECK_TEST_USER,
    CHECK_USER,
    ELIDED_CERTIFICATE,
    ELIDED_SIGNATURE,
    NOTE_NOT_BASE64,
)
from tests.conftest import force_recent_login
from tests.ssogroups.saml.conftest import acs_post
from tests.ssogroups.saml.idp import authn_request_from_redirect, sp_of

SIGNATURE_VALUE = re.compile(r"<(?:\w+:)?SignatureValue[^>]*>([^<]+)<")


def _results(trace: SignInTrace) -> list[tuple[str, str]]:
    return [(c["check"], c["result"]) for c in trace.checks]


def assert_no_signature_or_certificate(trace: SignInTrace, posted_xml: str, cert_b64: str) -> None:
    """The stored row (every column) carries no signature value and no certificate body."""
    row = json.dumps(list(SignInTrace.objects.filter(pk=trace.pk).values())[0], default=str)
    signatures = SIGNATURE_VALUE.findall(posted_xml)
    assert signatures  # the posted response was signed
    for value in signatures:
        assert value.strip()[:40] not in row
    assert cert_b64[:40] not in row and cert_b64[-40:] not in row
    assert ELIDED_SIGNATURE in trace.response_xml and ELIDED_CERTIFICATE in trace.response_xml


@pytest.fixture
def admin_client(admin):
    client = Client()
    force_recent_login(client, admin)
    return client


def test_a_sign_in_keeps_every_check_passed_the_user_and_the_session(client, idp, idp_keys, group, alice):
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    response = acs_post(client, group, xml)
    assert response.status_code == 302

    trace = SignInTrace.objects.get()
    assert (trace.group, trace.ok, trace.test, trace.reason, trace.user, trace.username) == (
        group, True, False, "", alice, "alice@example.com")  # fmt: skip
    assert _results(trace) == [(name, "passed") for name in (*CHECKS, CHECK_REQUEST, CHECK_USER)]
    session_key = client.cookies["sessionid"].value
    assert trace.session_ref == hashlib.sha256(session_key.encode()).hexdigest()[:16]
    assert session_key not in json.dumps(list(SignInTrace.objects.values()), default=str)
    assert trace.session_expires_at is not None
    assert re.search(r"<\w+:NameID[^>]*>alice@example.com<", trace.response_xml)
    assert_no_signature_or_certificate(trace, xml, idp_keys.cert_b64)


def test_a_refusal_shows_the_checks_passed_the_one_failed_and_what_never_ran(
    client, admin_client, idp, idp_keys, group, alice
):
    sp = sp_of(group)
    sp.entity_id = "https://sso.jumpcloud.com/saml2/sparkpost"
    xml = idp.response(sp, name_id="alice@example.com")
    assert acs_post(client, group, xml).status_code == 403

    failure = SSOLoginFailure.objects.get()
    trace = SignInTrace.objects.get()
    assert (trace.ok, trace.reason, trace.failure_reference, trace.user, trace.session_ref) == (
        False, "wrong_audience", failure.reference, None, "")  # fmt: skip
    assert _results(trace) == [
        (CHECKS[0], "passed"),
        (CHECKS[1], "passed"),
        (CHECKS[2], "failed"),
        *((name, "not run") for name in (*CHECKS[3:], CHECK_REQUEST, CHECK_USER)),
    ]
    assert trace.checks[2]["detail"].startswith("wrong_audience: ")
    assert "https://sso.jumpcloud.com/saml2/sparkpost" in trace.checks[2]["detail"]
    assert_no_signature_or_certificate(trace, xml, idp_keys.cert_b64)

    # The diagnostics row opens it; the page shows the checks in order and the elided response.
    failures = admin_client.get(f"/account/sso/{group.slug}/failures").content.decode()
    url = f"/account/sso/{group.slug}/sign-in-traces/{trace.key}"
    assert f'href="{url}"' in failures
    page = admin_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    positions = [text.index(name.replace("'", "&#x27;")) for name in CHECKS]
    assert positions == sorted(positions)
    assert ELIDED_SIGNATURE in text and idp_keys.cert_b64[:40] not in text


def test_a_user_refusal_comes_after_every_response_check(client, idp, group):
    xml = idp.response(sp_of(group), name_id="nobody@example.com")
    assert acs_post(client, group, xml).status_code == 403
    trace = SignInTrace.objects.get()
    assert trace.reason == "unknown_user"
    assert _results(trace) == [*((n, "passed") for n in (*CHECKS, CHECK_REQUEST)), (CHECK_USER, "failed")]


def test_a_replay_fails_the_request_check(client, idp, group, alice):
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    assert acs_post(client, group, xml).status_code == 302
    assert acs_post(Client(), group, xml).status_code == 403
    replay = SignInTrace.objects.get(ok=False)
    assert replay.reason == "replay"
    assert _results(replay) == [*((n, "passed") for n in CHECKS), (CHECK_REQUEST, "failed"), (CHECK_USER, "not run")]


def test_a_response_that_is_not_base64_fails_the_first_check_and_is_not_kept(client, group):
    response = client.post(f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume", {"SAMLResponse": "%%%"})
    assert response.status_code == 400
    trace = SignInTrace.objects.get()
    assert (trace.reason, trace.response_xml, trace.response_note) == ("bad_base64", "", NOTE_NOT_BASE64)
    assert _results(trace)[0] == (CHECKS[0], "failed")


def test_a_post_refused_unread_leaves_no_trace(client, group):
    body = "SAMLResponse=" + "A" * MAX_POST_BYTES
    response = client.post(
        f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume", body,
        content_type="application/x-www-form-urlencoded",
    )  # fmt: skip
    assert response.status_code == 413
    assert SSOLoginFailure.objects.get().reason == "oversize"
    assert not SignInTrace.objects.exists()


def _test_sign_in(admin_client, group) -> tuple[str, str]:
    start = admin_client.post(f"/account/sso/{group.slug}/test-sign-in")
    request, query = authn_request_from_redirect(start["Location"])
    return request.get("ID"), query["RelayState"][0]


def test_the_test_sign_in_page_opens_the_trace_of_a_success_and_of_a_refusal(admin_client, idp, idp_keys, group, alice):
    request_id, relay = _test_sign_in(admin_client, group)
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    report = admin_client.get(acs_post(admin_client, group, xml, relay_state=relay)["Location"]).content.decode()
    trace = SignInTrace.objects.get()
    assert (trace.test, trace.ok, trace.username, trace.user, trace.session_ref) == (
        True, True, "alice@example.com", None, "")  # fmt: skip
    assert _results(trace) == [(name, "passed") for name in (*CHECKS, CHECK_REQUEST, CHECK_TEST_USER)]
    assert f"/account/sso/{group.slug}/sign-in-traces/{trace.key}" in report
    assert_no_signature_or_certificate(trace, xml, idp_keys.cert_b64)

    request_id, relay = _test_sign_in(admin_client, group)
    xml = idp.response(sp_of(group), name_id="nobody@example.com", in_response_to=request_id)
    report = admin_client.get(acs_post(admin_client, group, xml, relay_state=relay)["Location"]).content.decode()
    refused = SignInTrace.objects.get(ok=False)
    assert (refused.test, refused.reason) == (True, "unknown_user")
    assert _results(refused)[-1] == (CHECK_TEST_USER, "failed")
    assert f"/account/sso/{group.slug}/sign-in-traces/{refused.key}" in report


def test_another_accounts_admin_gets_a_404(client, idp, group, alice, make_account):
    acs_post(client, group, idp.response(sp_of(group), name_id="alice@example.com"))
    trace = SignInTrace.objects.get()
    _, stranger = make_account()
    other = Client()
    force_recent_login(other, stranger)
    assert other.get(f"/account/sso/{group.slug}/sign-in-traces/{trace.key}").status_code == 404


def test_traces_are_pruned_with_the_diagnostics(client, idp, group, alice, settings, monkeypatch):
    now = clock.now()
    for days in (91, 89):
        monkeypatch.setattr(clock, "now", lambda days=days: now - timedelta(days=days))
        acs_post(Client(), group, idp.response(sp_of(group), name_id="nobody@example.com"))
    monkeypatch.setattr(clock, "now", lambda: now)
    assert SignInTrace.objects.count() == 2
    call_command("prune", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert [(now - t).days for t in SignInTrace.objects.values_list("time", flat=True)] == [89]
