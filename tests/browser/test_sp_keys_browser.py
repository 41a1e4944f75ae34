"""Issue 21 in a real browser: the group page says whether requests are signed and shows our certificate
(current and next during a rotation), and the edit form's "Sign sign-in requests" checkbox turns signing
on; at 1280 and 390 px without sideways scrolling.

Screenshots go to var/screenshots/ (git-ignored) for a person to look at.
"""

from pathlib import Path

import pytest

from accounts.users import account_create
from ssogroups import sp_key_rotation, sp_keys
from ssogroups.models import SSOCertificate, SSOGroup
from tests.browser.conftest import sign_in
from tests.support.keys import shared_keypair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser pass 42"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.mark.parametrize("width", [1280, 390])
def test_group_page_shows_signed_requests_and_our_certificate(live_server, browser, settings, width):
    settings.BASE_URL = live_server.url
    account, _ = account_create(
        name="Demo", admin_email="admin@example.com", admin_password=PASSWORD, plan="enterprise"
    )
    group = SSOGroup.objects.create(
        account=account,
        name="Okta",
        slug="okta",
        sso_url="https://example.okta.com/app/sparksso/sso/saml",
        want_authn_requests_signed=True,
    )
    SSOCertificate.objects.create(group=group, pem=shared_keypair("saml-idp-main").cert_pem, sha256_fingerprint="x")
    current = sp_keys.sp_key_current()
    nxt = sp_key_rotation.sp_key_rotate(actor="sp_keys")

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, live_server.url, "admin@example.com", PASSWORD)
    page.goto(f"{live_server.url}/account/sso/okta/")
    card = page.locator("#sp-keys")
    assert "the IdP's metadata asks for them" in page.locator("#signed-requests").inner_text()
    rows = page.locator("#sp-certificates tbody tr")
    assert rows.count() == 2
    table = page.locator("#sp-certificates").inner_text().replace("\u200b", "")
    assert current.not_after.strftime("%Y-%m-%d") in table and nxt.not_after.strftime("%Y-%m-%d") in table
    assert "Next (published, not signing yet)" in rows.nth(1).inner_text()
    assert page.locator("#sp-certificate").input_value() == current.certificate_pem
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SHOTS.mkdir(parents=True, exist_ok=True)
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"sp-keys-group-{width}.png"), full_page=True)

    # The policy checkbox on the edit form (its label beside it), then the page says why it signs.
    page.goto(f"{live_server.url}/account/sso/okta/edit")
    box = page.get_by_label("Sign sign-in requests")
    assert box.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"sp-keys-form-{width}.png"), full_page=True)
    context.close()
