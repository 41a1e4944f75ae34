"""Under the Content-Security-Policy (no 'unsafe-inline'), the POST-binding page still sends the
AuthnRequest to the IdP by itself, and the copy buttons still copy: both are static scripts."""

import pytest
from playwright.sync_api import expect

from accounts.users import account_create
from ssogroups.constants import BINDING_POST
from ssogroups.models import SSOGroup
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser pass 42"
IDP_POST_URL = "https://idp.example.test/sso-post"


def csp_violations(page) -> list[str]:
    """Console errors Chromium reports when the policy blocks something."""
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None)
    return seen


def test_post_binding_page_submits_itself_under_the_policy(live_server, page, settings):
    settings.BASE_URL = live_server.url
    account, _ = account_create(name="Demo", admin_email="admin@example.com", admin_password=PASSWORD, plan="premier")
    group = SSOGroup.objects.create(
        account=account,
        name="JumpCloud",
        slug="jumpcloud",
        enabled=True,
        idp_entity_id="https://idp.example.test/saml",
        sso_url=IDP_POST_URL,
        sso_binding=BINDING_POST,
        sso_endpoints=[{"binding": BINDING_POST, "location": IDP_POST_URL}],
    )
    violations = csp_violations(page)
    posted: list[str] = []

    def idp(route) -> None:
        posted.append(route.request.post_data or "")
        route.fulfill(status=200, content_type="text/html", body="<h1>IdP sign-in</h1>")

    page.route(IDP_POST_URL, idp)
    response = page.goto(f"{live_server.url}{group.login_url.removeprefix(live_server.url)}")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="IdP sign-in")).to_be_visible()
    assert page.url == IDP_POST_URL
    assert len(posted) == 1 and posted[0].startswith("SAMLRequest=")
    assert violations == []


def test_copy_buttons_work_under_the_policy(live_server, browser, settings):
    settings.BASE_URL = live_server.url
    account, _ = account_create(name="Demo", admin_email="admin@example.com", admin_password=PASSWORD, plan="premier")
    SSOGroup.objects.create(account=account, name="JumpCloud", slug="jumpcloud", sso_url=IDP_POST_URL)
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    violations = csp_violations(page)
    sign_in(page, live_server.url, "admin@example.com", PASSWORD)
    response = page.goto(f"{live_server.url}/account/sso/jumpcloud/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.get_by_role("button", name="Copy the SAML 2.0 Consumer (POST) URL").click()
    expect(page.locator("#copy-status")).to_have_text("Copied: SAML 2.0 Consumer (POST) URL")
    acs = f"{live_server.url}/api/v1/users/saml/{account.pk}/jumpcloud/consume"
    assert page.evaluate("navigator.clipboard.readText()") == acs
    for path in ("/", "/account/settings/", "/account/sso/", "/account/users/", "/account/events/"):
        page.goto(f"{live_server.url}{path}")
    assert violations == []
    context.close()
