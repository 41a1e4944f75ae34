"""An SSO admin confirms it is them with a fresh SSO round trip that asks the IdP for ForceAuthn;
only the answer to such a request counts as a recent sign-in."""

import pytest

from accounts.models import Event
from accounts.reauth import AUTH_TIME_KEY, MSG_REAUTH
from scim.models import ScimToken
from tests.ssogroups.saml.conftest import acs_post
from tests.ssogroups.saml.idp import authn_request_from_redirect, sp_of

SAM = "sam@example.com"


@pytest.fixture
def sam(account, make_user, group):
    return make_user(account, SAM, sso_group=group, role="admin")


def round_trip(client, idp, group, *, query: str) -> str:
    """SP-initiated sign-in through the test IdP; the Location the ACS answered with."""
    start = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login{query}")
    assert start.status_code == 302
    request_xml, params = authn_request_from_redirect(start["Location"])
    xml = idp.response(sp_of(group), name_id=SAM, in_response_to=request_xml.get("ID"))
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
