"""Login CSRF: a solicited response is accepted only from the browser that started the request."""

import hashlib

import pytest
from django.test import Client

from accounts.models import Event
from ssogroups.models import PendingAuthnRequest
from ssogroups.saml import reasons
from ssogroups.saml.browser_secret import AUTHN_COOKIE, HOST_AUTHN_COOKIE, cookie_attributes
from tests.ssogroups.saml.conftest import acs_post, counts, session_json
from tests.ssogroups.saml.idp import authn_request_from_redirect, sp_of
from tests.ssogroups.saml.test_acs_rejections import assert_refused


def _start(client: Client, group, query: str = "") -> str:
    response = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login{query}")
    assert response.status_code == 302
    return authn_request_from_redirect(response["Location"])[0].get("ID")


def _other_events() -> int:
    return Event.objects.exclude(event="sso_login_failure").count()


@pytest.mark.parametrize("victim_has_own_cookie", [False, True], ids=["victim-without-cookie", "victim-own-cookie"])
def test_response_to_the_attackers_request_posted_from_the_victims_browser_is_refused(
    idp, group, alice, victim_has_own_cookie
):
    """The attacker starts sign-in in their browser and gets the victim's browser to post the answer."""
    attacker, victim = Client(), Client()
    request_id = _start(attacker, group)  # alice's credentials stand in for the attacker's account
    victim_request = _start(victim, group) if victim_has_own_cookie else None
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    before, events_before = counts(), _other_events()

    failure = assert_refused(victim, acs_post(victim, group, xml), group, "other_browser", before=before)

    assert failure.detail.startswith("a different" if victim_has_own_cookie else "no")
    assert (failure.issuer, failure.name_id) == (idp.entity_id, "alice@example.com")
    assert _other_events() == events_before
    # The request is spent: the attacker cannot have it answered a second time either.
    assert PendingAuthnRequest.objects.get(request_id=request_id).spent_at is not None
    if victim_request:  # the victim's own sign-in is untouched
        assert PendingAuthnRequest.objects.get(request_id=victim_request).spent_at is None


def test_reason_has_admin_text_and_is_forbidden():
    reason = reasons.REASONS["other_browser"]
    assert reason is reasons.OTHER_BROWSER and reason.status == 403
    assert "different browser" in reason.admin_text


def test_a_forged_cookie_value_is_refused(idp, group, alice):
    browser = Client()
    request_id = _start(browser, group)
    browser.cookies[AUTHN_COOKIE] = "A" * 43  # well-formed, but not the secret this browser was given
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    before = counts()
    failure = assert_refused(browser, acs_post(browser, group, xml), group, "other_browser", before=before)
    assert failure.detail.startswith("a different")


def test_two_tabs_of_one_browser_get_their_own_secrets_and_both_sign_in(idp, group, alice):
    browser = Client()
    # Two pages (two ``next``): two requests. (One page opened twice sends its one pending request
    # again: tests/ssogroups/saml/test_login_start.py.)
    first, second = _start(browser, group, "?next=/a"), _start(browser, group, "?next=/b")
    assert first != second
    hashes = set(PendingAuthnRequest.objects.filter(group=group).values_list("browser_hash", flat=True))
    assert len(hashes) == 2  # a fresh secret per sign-in; the cookie carries both
    assert len(browser.cookies[AUTHN_COOKIE].value.split(".")) == 2
    for request_id in (second, first):
        xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
        assert acs_post(browser, group, xml).status_code == 302
    assert session_json(browser).json()["username"] == "alice@example.com"


def test_a_secret_the_browser_already_holds_is_never_reused(idp, group, alice):
    """The attacker puts a value of their choosing in their own browser and tosses the same value into
    the victim's (a sibling subdomain can, for a cookie without the __Host- prefix). The attacker's
    request is bound to a fresh secret instead, so the victim's browser cannot answer it."""
    tossed = "T" * 43
    attacker, victim = Client(), Client()
    attacker.cookies[AUTHN_COOKIE] = tossed
    request_id = _start(attacker, group)
    pending = PendingAuthnRequest.objects.get(request_id=request_id)
    assert pending.browser_hash != hashlib.sha256(tossed.encode()).hexdigest()
    assert attacker.cookies[AUTHN_COOKIE].value.split(".")[0] != tossed
    victim.cookies[AUTHN_COOKIE] = tossed
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    before = counts()
    assert_refused(victim, acs_post(victim, group, xml), group, "other_browser", before=before)


def test_on_https_a_cookie_tossed_from_a_sibling_subdomain_is_not_read(idp, group, alice, settings):
    """On https only the ``__Host-`` cookie counts, which no other host can set. The attacker starts a
    sign-in, reads the secret from their own Set-Cookie and tosses it into the victim's browser under
    the plain name (``Domain=.example.com``, from a sibling): the victim's post is refused."""
    settings.BASE_URL = "https://sso.example.test"
    group = type(group).objects.get(pk=group.pk)  # URLs follow BASE_URL
    attacker, victim = Client(), Client()
    start = attacker.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login")
    cookie = start.cookies[HOST_AUTHN_COOKIE]
    assert (cookie["path"], cookie["domain"], cookie["secure"]) == ("/", "", True)
    request_id = authn_request_from_redirect(start["Location"])[0].get("ID")
    victim.cookies[AUTHN_COOKIE] = cookie.value
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    before = counts()
    failure = assert_refused(victim, acs_post(victim, group, xml), group, "other_browser", before=before)
    assert failure.detail.startswith("no")


def test_on_https_the_starting_browser_signs_in_with_the_host_cookie(idp, group, alice, settings):
    settings.BASE_URL = "https://sso.example.test"
    group = type(group).objects.get(pk=group.pk)
    browser = Client()
    request_id = _start(browser, group)
    assert AUTHN_COOKIE not in browser.cookies
    xml = idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id)
    assert acs_post(browser, group, xml).status_code == 302
    assert session_json(browser).json()["username"] == "alice@example.com"


def test_a_malformed_cookie_is_replaced_by_a_fresh_secret(client, group):
    client.cookies[AUTHN_COOKIE] = "short"
    response = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login")
    secret = response.cookies[AUTHN_COOKIE].value
    assert len(secret) == 43 and secret != "short"
    pending = PendingAuthnRequest.objects.get(group=group)
    assert pending.browser_hash == hashlib.sha256(secret.encode()).hexdigest()


def test_idp_initiated_needs_no_cookie(idp, group, alice):
    """Unsolicited responses have no request to bind; they stay governed by allow_idp_initiated."""
    browser = Client()
    assert acs_post(browser, group, idp.response(sp_of(group), name_id="alice@example.com")).status_code == 302


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://sso.example.com", {"samesite": "None", "secure": True}),
        ("http://localhost:8000", {"samesite": "None", "secure": True}),
        ("http://app.localhost:8000", {"samesite": "None", "secure": True}),
        ("http://127.0.0.1:8000", {"samesite": "None", "secure": True}),
        ("http://[::1]:8000", {"samesite": "None", "secure": True}),
        ("http://sso.internal:8000", {"samesite": None, "secure": False}),
    ],
)
def test_cookie_attributes_by_origin(base_url, expected):
    assert cookie_attributes(base_url) == expected


@pytest.mark.parametrize(
    ("base_url", "name", "path"),
    [
        ("https://sso.example.com", HOST_AUTHN_COOKIE, "/"),  # __Host-: Secure, Path=/, no Domain
        ("http://localhost:8000", AUTHN_COOKIE, "/api/v1/users/saml/"),
    ],
)
def test_login_sets_a_short_lived_cross_site_cookie(client, settings, group, base_url, name, path):
    settings.BASE_URL = base_url
    response = client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login")
    assert response.status_code == 302
    assert list(response.cookies) == [name]
    cookie = response.cookies[name]
    assert (cookie["samesite"], cookie["secure"], cookie["httponly"]) == ("None", True, True)
    assert (cookie["max-age"], cookie["path"], cookie["domain"]) == (600, path, "")
