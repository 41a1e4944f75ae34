"""Issue 21's whole picture in a real browser, cross-site (app on localhost, dev IdP on 127.0.0.1): the dev
IdP requires signed requests and runs Single Logout; the group built from its metadata therefore signs
its AuthnRequests and requires encrypted assertions; Alice signs in with "Encrypt the assertion" ticked,
then signs out of the app, and Single Logout ends her session at both ends."""

import base64
import threading
import zlib
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from accounts.models import Event
from devidp.server import server_make
from ssogroups.models import SSOGroup, SSOLoginFailure, SSOSession
from tests.browser.devidp_flow import ALICE, scim_provision, session_json

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "var/test-artifacts/saml-complete"
ENCRYPT = "Encrypt the assertion (to the certificate in the SP's metadata)"


@pytest.fixture
def devidp(tmp_path):
    """The dev IdP as ``IDP_SLO=1 IDP_REQUIRE_SIGNED_REQUESTS=1 make idp`` runs it (overrides the plain one)."""
    server, app = server_make(port=0, state_dir=tmp_path / "devidp", slo=True, require_signed_requests=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    server.server_close()


def _screenshots(page, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_signed_request_encrypted_assertion_then_single_logout_ends_both_sessions(devidp_setup, devidp, page):
    group = SSOGroup.objects.get(slug=devidp_setup.slug)
    # What the dev IdP's metadata said: it wants signed requests and has an SLO endpoint.
    assert (group.want_authn_requests_signed, group.slo_url) == (True, f"{devidp.base_url}/slo")
    SSOGroup.objects.filter(pk=group.pk).update(require_encrypted_assertions=True)  # a plain assertion is refused
    scim_provision(devidp_setup)
    visited = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))

    page.goto(f"{devidp_setup.base}/login?next=/")
    page.get_by_label("Email or username").fill(ALICE)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{devidp.base_url}/sso?*")  # the IdP verified the request's signature: its sign-in page
    expect(
        page.get_by_text("The request's signature was verified with the certificate in the SP's metadata.")
    ).to_be_visible()
    page.get_by_label("Email").fill(ALICE)
    page.get_by_label(ENCRYPT).check()
    _screenshots(page, "devidp-sign-in")
    page.get_by_role("button", name="Sign in", exact=True).click()

    page.wait_for_url(f"{devidp_setup.base}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Alice Liddell")
    [authn_request] = [url for url in visited if url.startswith(f"{devidp.base_url}/sso?")]
    assert "&SigAlg=" in authn_request and "&Signature=" in authn_request  # HTTP-Redirect, query-signed
    status, session = session_json(page, devidp_setup.base)
    assert (status, session["username"], session["auth_method"]) == (200, ALICE, "sso")
    assert SSOSession.objects.filter(name_id=ALICE).count() == 1
    assert not SSOLoginFailure.objects.exists()  # encryption required, and nothing was refused
    page.goto(f"{devidp.base_url}/")
    expect(page.get_by_text(f"Signed in to the dev IdP as {ALICE}")).to_be_visible()

    page.goto(f"{devidp_setup.base}/")
    page.get_by_role("button", name="Sign out").click()  # the app's POST /logout

    # App -> IdP (signed LogoutRequest) -> app (signed LogoutResponse) -> /login.
    page.wait_for_url(f"{devidp_setup.base}/login")
    expect(page.get_by_text("You have been signed out.")).to_be_visible()
    for path in ("/", "/account/settings/"):  # the app sends her to sign in again
        page.goto(f"{devidp_setup.base}{path}")
        assert page.url == f"{devidp_setup.base}/login?next={path}"
    assert session_json(page, devidp_setup.base)[0] == 401
    page.goto(f"{devidp.base_url}/")
    expect(page.get_by_role("heading", name="Sign in to the dev IdP")).to_be_visible()
    assert not SSOSession.objects.exists()
    assert Event.objects.filter(event="sso_login_success", actor=ALICE).count() == 1
    assert Event.objects.filter(event="sso_logout_complete").count() == 1
    assert not Event.objects.filter(event="sso_logout_failure").exists()


def test_an_unsigned_request_gets_the_dev_idps_refusal_page(devidp_setup, devidp, page):
    """A hand-made, unsigned AuthnRequest typed into the browser: an error page, nothing to sign in with."""
    group = SSOGroup.objects.get(slug=devidp_setup.slug)
    xml = (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_unsigned1" Version="2.0" '
        f'IssueInstant="2026-01-01T00:00:00Z" Destination="{devidp.base_url}/sso" '
        f'AssertionConsumerServiceURL="{group.acs_url}">'
        f'<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">{group.sp_entity_id}</saml:Issuer>'
        "</samlp:AuthnRequest>"
    )
    deflate = zlib.compressobj(wbits=-15)
    encoded = base64.b64encode(deflate.compress(xml.encode()) + deflate.flush()).decode()

    response = page.goto(f"{devidp.base_url}/sso?{urlencode({'SAMLRequest': encoded})}")

    assert response.status == 403
    expect(page.get_by_role("heading", name="Sign-in request refused")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("requires signed requests")
    expect(page.get_by_label("Email")).to_have_count(0)
    _screenshots(page, "devidp-refused")
