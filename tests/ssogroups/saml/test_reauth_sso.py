"""An SSO admin confirms it is them with a fresh SSO round trip that asks the IdP for ForceAuthn;
only the answer to such a request counts as a recent sign-in, and only when its signed
AuthnInstant is within REAUTH_MAX_AGE_SECONDS plus the clock skew (issue 18 item 4)."""

import datetime as dt

import pytest

from accounts.models import Event
from accounts.reauth import AUTH_TIME_KEY, MSG_REAUTH
from scim.models import ScimToken
from ssogroups.saml.reauth import MSG_FUTURE, MSG_MISSING, MSG_OLD
from tests.ssogroups.saml.conftest import acs_post
from tests.ssogroups.saml.idp import NS, authn_request_from_redirect, sp_of

SAM = "sam@example.com"


@pytest.fixture
def sam(account, make_user, group):
    return make_user(account, SAM, sso_group=group, role="admin")


def round_trip(client, idp, group, *, query: str, **response_options) -> str:
    """SP-initiated sign-in through the test IdP; the Location the ACS answered with."""
    start = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login{query}")
    assert start.status_code == 302
    request_xml, params = authn_request_from_redirect(start["Location"])
    xml = idp.response(sp_of(group), name_id=SAM, in_response_to=request_xml.get("ID"), **response_options)
    assert "RelayState" not in params  # the pending request holds next; nothing rides along
    response = acs_post(client, group, xml)
    assert response.status_code == 302
    return response["Location"]


def generate(client, group):
    return client.post(
        "/account/settings/scim-tokens/", {"sso_group": group.pk, "label": "x", "form_id": "reauth-form-01-0123456789"}
    )


def test_an_sso_sign_in_without_force_authn_is_not_a_recent_authentication(client, idp, group, sam):
    # IdP-initiated: the IdP may have answered from its own session, hours after the user typed anything.
    assert acs_post(client, group, idp.response(sp_of(group), name_id=SAM)).status_code == 302
    assert AUTH_TIME_KEY not in client.session
    # SP-initiated without ForceAuthn: the same.
    assert round_trip(client, idp, group, query="?next=/account/settings/") == "/account/settings/"
    assert AUTH_TIME_KEY not in client.session

    before = (Event.objects.count(), ScimToken.objects.count())
    refused = generate(client, group)
    assert refused.status_code == 302 and refused["Location"].startswith("/account/reauth?")
    assert (Event.objects.count(), ScimToken.objects.count()) == before

    page = client.get(refused["Location"]).content.decode()
    assert MSG_REAUTH in page
    assert 'name="password"' not in page  # an SSO admin has no password to give
    assert f"{group.login_url}?reauth=1&amp;next=%2F" in page


def test_the_force_authn_round_trip_allows_the_action(client, idp, group, sam):
    assert acs_post(client, group, idp.response(sp_of(group), name_id=SAM)).status_code == 302
    start = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login?reauth=1&next=/account/settings/")
    request_xml, _ = authn_request_from_redirect(start["Location"])
    assert request_xml.get("ForceAuthn") == "true"

    assert round_trip(client, idp, group, query="?reauth=1&next=/account/settings/") == "/account/settings/"
    assert isinstance(client.session[AUTH_TIME_KEY], int)
    created = generate(client, group)
    assert created.status_code == 201
    assert ScimToken.objects.filter(created_by=sam).count() == 1


def test_a_plain_request_never_carries_force_authn(client, group):
    start = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login")
    request_xml, _ = authn_request_from_redirect(start["Location"])
    assert request_xml.get("ForceAuthn") is None


@pytest.fixture
def now(monkeypatch):
    """Our clock pinned to the second the test starts (the test IdP stamps its own times from the wall
    clock, so the pin must be close to it; the window is then measured against this fixed instant)."""
    fixed = dt.datetime.now(dt.UTC).replace(microsecond=0)
    monkeypatch.setattr("sparksso.clock.now", lambda: fixed)
    return fixed


REAUTH = "?reauth=1&next=/account/settings/"


def reauth_failure():
    return Event.objects.filter(event="reauth_failure").latest("id")


def test_a_force_authn_answer_from_a_days_old_sign_in_is_refused_with_a_reason(client, idp, group, sam, now):
    old = now - dt.timedelta(days=3)
    landed = round_trip(client, idp, group, query=REAUTH, authn_instant=old)
    assert landed == "/account/reauth?next=%2Faccount%2Fsettings%2F"  # back to confirm, told why

    assert AUTH_TIME_KEY not in client.session  # signed in, but not recently
    event = reauth_failure()
    assert (event.actor, event.target, event.outcome, event.reason) == (SAM, SAM, "failure", "authn_instant_old")
    assert event.changes == {"method": "sso", "authn_instant": f"{old:%Y-%m-%dT%H:%M:%SZ}"}
    assert not Event.objects.filter(event="reauth_success").exists()
    page = client.get(landed)
    assert MSG_OLD.format(when=f"{old:%Y-%m-%d %H:%M:%S}") in [str(m) for m in page.context["messages"]]
    assert "reauth_refused" not in client.session  # said once
    before = ScimToken.objects.count()
    refused = generate(client, group)
    assert refused.status_code == 302 and refused["Location"].startswith("/account/reauth?")
    assert ScimToken.objects.count() == before


@pytest.mark.parametrize(
    ("age", "counts"),
    [(0, True), (600 + 120 - 1, True), (600 + 120 + 1, False), (-120 + 1, True), (-120 - 60, False)],
    ids=["now", "just-inside", "just-outside", "skewed-future-inside", "future"],
)
def test_the_window_is_the_reauth_age_plus_the_clock_skew(client, idp, group, sam, now, settings, age, counts):
    settings.REAUTH_MAX_AGE_SECONDS, settings.SAML_CLOCK_SKEW_SECONDS = 600, 120
    instant = now - dt.timedelta(seconds=age)
    round_trip(client, idp, group, query=REAUTH, authn_instant=instant)
    assert (AUTH_TIME_KEY in client.session) is counts
    if counts:
        assert Event.objects.get(event="reauth_success").changes == {"method": "sso"}
    else:
        assert reauth_failure().reason == ("authn_instant_old" if age > 0 else "authn_instant_future")


def test_an_answer_without_authn_statement_proves_nothing(client, idp, group, sam, now):
    """python3-saml refuses a response with no AuthnStatement outright; the missing-instant reason of
    ssogroups.saml.reauth is the second line of defence."""

    def drop_statement(tree):
        assertion = tree.find("saml:Assertion", NS)
        for statement in assertion.findall("saml:AuthnStatement", NS):
            assertion.remove(statement)

    start = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login{REAUTH}")
    request_xml, _ = authn_request_from_redirect(start["Location"])
    xml = idp.response(sp_of(group), name_id=SAM, in_response_to=request_xml.get("ID"), mutate=drop_statement)
    assert acs_post(client, group, xml).status_code == 400
    assert AUTH_TIME_KEY not in client.session


def test_the_refusal_messages_say_what_to_do(now):
    assert "in the future" in MSG_FUTURE and "AuthnInstant" in MSG_MISSING and "Sign out of your IdP" in MSG_OLD
