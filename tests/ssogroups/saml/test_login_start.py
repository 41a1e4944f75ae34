"""Starting sign-in: the group login URL and the adaptive /login routing."""

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from lxml import etree

from accounts.models import Event
from accounts.users import user_create
from sparksso import clock
from ssogroups.constants import BINDING_POST, BINDING_REDIRECT
from ssogroups.models import PendingAuthnRequest, SSODomain
from ssogroups.saml.views import MSG_START_THROTTLED
from tests.ssogroups.saml.conftest import acs_post
from tests.ssogroups.saml.idp import authn_request_from_redirect, sp_of


def _login_url(group, query: str = "") -> str:
    return f"/api/v1/users/saml/{group.account_id}/{group.slug}/login{query}"


def test_redirect_binding_carries_a_fresh_request_and_no_relay_state(client, group):
    response = client.get(_login_url(group, "?next=/dashboard"))
    assert response.status_code == 302
    request_xml, query = authn_request_from_redirect(response["Location"])
    assert request_xml.tag == "{urn:oasis:names:tc:SAML:2.0:protocol}AuthnRequest"
    assert request_xml.get("AssertionConsumerServiceURL") == group.acs_url
    assert request_xml.get("ProtocolBinding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    pending = PendingAuthnRequest.objects.get(group=group)
    assert pending.request_id == request_xml.get("ID")
    assert "RelayState" not in query  # the pending row holds next and the browser secret's hash
    assert pending.next_path == "/dashboard"
    assert (pending.expires_at - pending.created_at).total_seconds() == 600
    # Nothing about the request is kept in the browser's session.
    assert pending.request_id not in str(dict(client.session))


def test_post_binding_when_the_idp_offers_only_post(client, group):
    group.sso_binding = BINDING_POST
    group.sso_endpoints = [{"binding": BINDING_POST, "location": "https://idp.example.test/sso-post"}]
    group.sso_url = "https://idp.example.test/sso-post"
    group.save()
    response = client.get(_login_url(group))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'action="https://idp.example.test/sso-post"' in html
    assert "<noscript><button" in html
    assert 'src="/static/js/post-binding.js"' in html  # a static script: the CSP allows no inline one
    assert "<script>" not in html
    tree = etree.HTML(response.content)
    saml_request = tree.xpath("//input[@name='SAMLRequest']/@value")[0]
    request_xml = etree.fromstring(base64.b64decode(saml_request))  # plain base64, not deflated
    assert request_xml.get("Destination") == "https://idp.example.test/sso-post"
    assert PendingAuthnRequest.objects.filter(group=group, request_id=request_xml.get("ID")).exists()


def test_redirect_endpoint_is_preferred_when_both_are_offered(client, group):
    group.sso_endpoints = [
        {"binding": BINDING_POST, "location": "https://idp.example.test/post"},
        {"binding": BINDING_REDIRECT, "location": "https://idp.example.test/redirect"},
    ]
    group.sso_url = "https://idp.example.test/post"
    group.sso_binding = BINDING_POST
    group.save()
    assert client.get(_login_url(group))["Location"].startswith("https://idp.example.test/redirect?")


@pytest.mark.parametrize("next_value", ["//evil.example", "https://evil.example/x"])
def test_unsafe_next_is_replaced(client, group, next_value):
    client.get(_login_url(group), {"next": next_value})
    assert PendingAuthnRequest.objects.get(group=group).next_path == "/"


@pytest.mark.parametrize("kind", ["unknown", "disabled"])
def test_unknown_or_disabled_group_is_a_404_page(client, group, kind):
    if kind == "disabled":
        group.enabled = False
        group.save()
    url = _login_url(group) if kind == "disabled" else f"/api/v1/users/saml/{group.account_id}/nope/login"
    response = client.get(url)
    assert response.status_code == 404
    assert b"not active" in response.content
    assert not PendingAuthnRequest.objects.exists()


def test_group_without_sso_url_shows_a_failure(client, group):
    group.sso_url = ""
    group.sso_endpoints = []
    group.save()
    response = client.get(_login_url(group))
    assert response.status_code == 400
    assert not PendingAuthnRequest.objects.exists()
    assert Event.objects.get(event="sso_login_failure").reason == "group_misconfigured"


# --- adaptive /login ----------------------------------------------------------------------


def test_login_sends_a_bound_user_to_their_group(client, group, alice):
    response = client.post("/login", {"identifier": "ALICE@example.com", "next": "/reports"})
    assert response.status_code == 302
    assert response["Location"] == group.login_url + "?next=%2Freports"
    follow = client.get(urlsplit(response["Location"]).path, parse_qs(urlsplit(response["Location"]).query))
    assert authn_request_from_redirect(follow["Location"])[0].get("ID")


def test_login_sends_a_verified_domain_to_its_group(client, group):
    SSODomain.objects.create(
        account=group.account, group=group, domain="corp.example", verification_token="t", verified_at=clock.now()
    )
    response = client.post("/login", {"identifier": "newcomer@Corp.Example"})
    assert response.status_code == 302
    assert response["Location"] == group.login_url


def test_password_user_and_unknown_name_look_the_same(client, account, admin):
    known = client.post("/login", {"identifier": admin.username})
    unknown = client.post("/login", {"identifier": "nobody@nowhere.example"})
    assert known.status_code == unknown.status_code == 200
    assert b'name="password"' in known.content and b'name="password"' in unknown.content


def test_disabled_group_falls_back_to_password(client, group, alice):
    group.enabled = False
    group.save()
    response = client.post("/login", {"identifier": "alice@example.com"})
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_login_redirect_drops_unsafe_next(client, group, alice):
    response = client.post("/login?next=//evil.example", {"identifier": "alice@example.com"})
    assert response["Location"] == group.login_url


def test_name_bound_to_groups_in_two_accounts_is_not_guessed(client, group, alice, make_account, make_ssogroup):
    other_account, _ = make_account()
    other_group = make_ssogroup(other_account, slug="elsewhere")
    user_create(account=other_account, username="alice@example.com", email="alice@example.com", sso_group=other_group)
    response = client.post("/login", {"identifier": "alice@example.com"})
    assert response.status_code == 200
    assert b'name="password"' in response.content


# --- bounded writes: a browser's own pending request again, new starts limited ------------------


@pytest.fixture
def at(monkeypatch):
    """Pin our clock at a window start + ``seconds`` (a window boundary cannot fall mid-test)."""
    base = datetime.fromtimestamp(int(clock.now().timestamp()) // 300 * 300, UTC)

    def move(seconds: float) -> datetime:
        moved = base + timedelta(seconds=seconds)
        monkeypatch.setattr("sparksso.clock.now", lambda: moved)
        return moved

    move(0)
    return move


def _started_id(client, group, query: str = "") -> str:
    response = client.get(_login_url(group, query))
    assert response.status_code == 302
    return authn_request_from_redirect(response["Location"])[0].get("ID")


def test_a_reload_sends_the_browsers_own_pending_request_again(client, group, at):
    first = _started_id(client, group, "?next=/reports")
    assert _started_id(client, group, "?next=/reports") == first  # a reload: no new row
    assert PendingAuthnRequest.objects.count() == 1
    assert _started_id(client, group, "?next=/other") != first  # another page: its own request
    assert _started_id(Client(), group, "?next=/reports") != first  # another browser: its own
    assert _started_id(client, group, "?next=/reports&reauth=1") != first  # a re-auth: always fresh
    assert PendingAuthnRequest.objects.count() == 4
    at(299)  # 5 min 1 s left: still sent again
    assert _started_id(client, group, "?next=/reports") == first
    at(301)  # less than 5 minutes left: a fresh request, so the IdP round trip has time
    assert _started_id(client, group, "?next=/reports") != first
    assert PendingAuthnRequest.objects.count() == 5


def test_a_request_sent_again_still_signs_in_once(client, idp, group, alice, monkeypatch):
    now = clock.now()  # pinned at now: the IdP's responses carry the wall clock's validity window
    monkeypatch.setattr("sparksso.clock.now", lambda: now)
    request_id = _started_id(client, group)
    assert _started_id(client, group) == request_id
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    assert acs_post(client, group, xml).status_code == 302
    assert client.get("/api/v1/session").json()["username"] == "alice@example.com"
    # Spent (kept, marked, until its answer expires): a second answer to it is refused as a replay.
    assert list(PendingAuthnRequest.objects.values_list("request_id", flat=True)) == [request_id]
    assert PendingAuthnRequest.objects.get().spent_at == now


def test_new_starts_are_limited_per_address_and_group(settings, group, make_ssogroup, at):
    settings.SSO_LOGIN_START_LIMIT = 3
    for _ in range(3):  # three browsers behind one address
        _started_id(Client(REMOTE_ADDR="203.0.113.5"), group)
    before = (PendingAuthnRequest.objects.count(), Event.objects.count())
    for _ in range(5):
        refused = Client(REMOTE_ADDR="203.0.113.5").get(_login_url(group))
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) == 300
        assert MSG_START_THROTTLED in refused.content.decode()
    # No row for the refused starts, one event for the window.
    assert (PendingAuthnRequest.objects.count(), Event.objects.count()) == (before[0], before[1] + 1)
    event = Event.objects.get(event="sso_login_failure", reason="throttled")
    assert event.changes == {"group": group.slug, "limit": "start"}
    _started_id(Client(REMOTE_ADDR="198.51.100.5"), group)  # another address
    _started_id(Client(REMOTE_ADDR="203.0.113.5"), make_ssogroup(group.account))  # another group
    at(300)  # the next window
    _started_id(Client(REMOTE_ADDR="203.0.113.5"), group)
