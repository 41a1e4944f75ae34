"""Single Logout in a real browser, cross-site (app on localhost, dev IdP with IDP_SLO on 127.0.0.1):
signing out of the app signs out of the IdP too, and the IdP's "Sign out everywhere" signs out of the
app. Both ends are checked: the app's pages send to /login, the dev IdP asks to sign in again."""

import threading

import pytest
from playwright.sync_api import expect

from accounts.models import Event
from devidp.server import server_make
from ssogroups.constants import BINDING_POST, BINDING_REDIRECT
from ssogroups.models import SSOGroup, SSOSession
from tests.browser.devidp_flow import ALICE, scim_provision, session_json, sp_initiated_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "var/test-artifacts/slo"


@pytest.fixture
def devidp(tmp_path):
    """The dev IdP with Single Logout on (``IDP_SLO=1``), overriding the plain one for this module."""
    server, app = server_make(port=0, state_dir=tmp_path / "devidp", slo=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    server.server_close()


def _signed_in_to_the_app(page, setup) -> None:
    sp_initiated_sign_in(page, setup, next_path="/")
    page.wait_for_url(f"{setup.base}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Alice Liddell")
    assert SSOSession.objects.filter(name_id=ALICE).count() == 1


def _signed_out_at_both_ends(page, setup, devidp) -> None:
    page.goto(f"{setup.base}/")
    assert page.url == f"{setup.base}/login?next=/"
    assert session_json(page, setup.base)[0] == 401
    page.goto(f"{devidp.base_url}/")
    expect(page.get_by_role("heading", name="Sign in to the dev IdP")).to_be_visible()
    assert not SSOSession.objects.exists()


def test_signing_out_of_the_app_signs_out_of_the_idp_through_slo(devidp_setup, devidp, page):
    group = SSOGroup.objects.get(slug=devidp_setup.slug)
    assert group.slo_url == f"{devidp.base_url}/slo"  # read from the dev IdP's metadata
    # Our AuthnRequests are signed too (the group's policy); tests/browser/test_saml_complete_browser.py
    # runs the same round trip with encryption on and the dev IdP requiring signed requests.
    SSOGroup.objects.filter(pk=group.pk).update(sign_authn_requests=True)
    scim_provision(devidp_setup)
    visited = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    _signed_in_to_the_app(page, devidp_setup)
    [authn_request] = [url for url in visited if url.startswith(f"{devidp.base_url}/sso?")]
    assert "&Signature=" in authn_request  # HTTP-Redirect with the query signature
    page.goto(f"{devidp.base_url}/")
    expect(page.get_by_text(f"Signed in to the dev IdP as {ALICE}")).to_be_visible()
    page.goto(f"{devidp_setup.base}/")

    page.get_by_role("button", name="Sign out").click()  # the app's POST /logout

    # App -> IdP (signed LogoutRequest) -> app (signed LogoutResponse) -> /login.
    page.wait_for_url(f"{devidp_setup.base}/login")
    expect(page.get_by_text("You have been signed out.")).to_be_visible()
    _signed_out_at_both_ends(page, devidp_setup, devidp)
    assert Event.objects.filter(event="sso_logout_start", actor=ALICE).count() == 1
    assert Event.objects.filter(event="sso_logout_complete").count() == 1
    assert not Event.objects.filter(event="sso_logout_failure").exists()


def test_the_idps_sign_out_everywhere_signs_out_of_the_app(devidp_setup, devidp, page):
    scim_provision(devidp_setup)
    _signed_in_to_the_app(page, devidp_setup)
    page.goto(f"{devidp.base_url}/")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/devidp-console-{width}.png", full_page=True)

    page.get_by_role("button", name="Sign out everywhere (Single Logout)").click()

    # IdP -> app (signed LogoutRequest; sessions end) -> IdP (signed LogoutResponse): "Signed out".
    expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/devidp-signed-out-{width}.png", full_page=True)
    _signed_out_at_both_ends(page, devidp_setup, devidp)
    [event] = Event.objects.filter(event="sso_logout_idp")
    assert (event.target, event.changes["sessions_ended"]) == (ALICE, 1)
    assert not Event.objects.filter(event="sso_logout_failure").exists()


def test_a_refused_logout_message_shows_its_page(devidp_setup, page):
    """The page an IdP's bad logout message gets (screenshots at both widths); nothing is signed out."""
    page.goto(f"{devidp_setup.base}/api/v1/users/saml/{devidp_setup.account_id}/{devidp_setup.slug}/slo?SAMLRequest=x")
    expect(page.get_by_role("heading", name="Sign-out not completed")).to_be_visible()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/slo-refused-{width}.png", full_page=True)
    assert Event.objects.get(event="sso_logout_failure").reason == "logout_malformed"


def test_signing_out_by_the_post_binding(devidp_setup, devidp, page):
    """Where the IdP's metadata offers SLO on HTTP-POST only, our LogoutRequest goes by a form that posts
    itself (held here for its screenshots by not loading its script)."""
    group = SSOGroup.objects.get(slug=devidp_setup.slug)
    redirect_slo = f'<md:SingleLogoutService Binding="{BINDING_REDIRECT}" Location="{devidp.base_url}/slo"/>'
    assert redirect_slo in group.metadata_xml
    SSOGroup.objects.filter(pk=group.pk).update(metadata_xml=group.metadata_xml.replace(redirect_slo, ""))
    scim_provision(devidp_setup)
    _signed_in_to_the_app(page, devidp_setup)
    page.route("**/static/js/post-binding.js", lambda route: route.abort())

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", name="Signing out")).to_be_visible()
    assert page.locator("form#saml-post").get_attribute("action") == f"{devidp.base_url}/slo"
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/slo-post-{width}.png", full_page=True)
    page.evaluate("document.getElementById('saml-post').submit()")
    page.wait_for_url(f"{devidp_setup.base}/login")
    _signed_out_at_both_ends(page, devidp_setup, devidp)
    assert Event.objects.get(event="sso_logout_start").changes["binding"] == BINDING_POST
    assert Event.objects.filter(event="sso_logout_complete").count() == 1
