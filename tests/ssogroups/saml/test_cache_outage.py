"""SSO sign-in without the cache (docs/operations.md, "When a backend goes away"): pending requests,
consumed assertion IDs and sessions are rows in the database, so a Redis outage changes nothing for
a sign-in and a replay is still refused. Only an admin's test sign-in keeps its report in the cache:
it answers 503 and its transaction rolls back, so the response can be used once Redis is back."""

import pytest

from accounts.models import Event, UserSession
from ssogroups.models import ConsumedAssertion, PendingAuthnRequest
from tests.ssogroups.saml.conftest import acs_post, session_json
from tests.ssogroups.saml.idp import authn_request_from_redirect, sp_of
from tests.ssogroups.saml.test_acs_rejections import assert_refused
from tests.support.outages import assert_outage_page, closed_port, redis_cache_at


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {"default": redis_cache_at(closed_port())}


def test_sign_in_works_and_a_replay_is_refused(cache_down, client, idp, group, alice):
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    response = acs_post(client, group, xml)
    assert response.status_code == 302
    assert session_json(client).json()["username"] == alice.username
    assert ConsumedAssertion.objects.filter(group=group).count() == 1
    before = {"sessions": UserSession.objects.count(), "consumed": 1}
    attacker = client.__class__()
    assert_refused(attacker, acs_post(attacker, group, xml), group, "replay", before=before)
    assert Event.objects.filter(event="sso_login_success").count() == 1


def test_a_test_sign_in_answers_503_and_writes_nothing(settings, client, admin, idp, group, alice):
    client.force_login(admin)
    start = client.post(f"/account/sso/{group.slug}/test-sign-in")
    request, query = authn_request_from_redirect(start["Location"])
    settings.CACHES = {"default": redis_cache_at(closed_port())}  # Redis goes away mid round trip
    events = Event.objects.count()
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request.get("ID"))
    client.raise_request_exception = False

    response = acs_post(client, group, xml, relay_state=query["RelayState"][0])

    assert_outage_page(response)
    assert not ConsumedAssertion.objects.exists()  # rolled back: usable once Redis is back
    assert PendingAuthnRequest.objects.get(request_id=request.get("ID")).spent_at is None
    assert Event.objects.count() == events
    assert session_json(client).json()["username"] == admin.username
