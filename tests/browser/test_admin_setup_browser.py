"""An account admin connects JumpCloud in a real browser: upload the IdP metadata, copy the SP
values, then generate a SCIM token that is shown exactly once and works against the SCIM API."""

from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from accounts.users import account_create
from scim.models import ScimToken
from ssogroups.models import SSOGroup
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser pass 42"
METADATA = Path(__file__).resolve().parents[1] / "ssogroups" / "data" / "jumpcloud-export.xml"


def test_admin_connects_jumpcloud_and_mints_a_scim_token(live_server, browser, settings):
    settings.BASE_URL = live_server.url
    account, _admin = account_create(
        name="Demo", admin_email="admin@example.com", admin_password=PASSWORD, plan="enterprise"
    )
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, live_server.url, "admin@example.com", PASSWORD)

    # Create the SSO group from the exported metadata file.
    page.goto(f"{live_server.url}/account/sso/")
    page.get_by_role("link", name="Create New SSO Group +").click()
    page.wait_for_url(f"{live_server.url}/account/sso/new")  # loaded: its ID script runs before we type
    page.get_by_label("Name", exact=True).fill("JumpCloud")
    page.get_by_label("ID", exact=True).fill("jumpcloud")
    page.get_by_label("Parse SAML 2.0 XML Config").set_input_files(str(METADATA))
    # Choosing the file reads it (a round trip): the fields then show what it holds.
    expect(page.get_by_label("SAML 2.0 Endpoint")).to_have_value("https://sso.jumpcloud.com/saml2/samlify")
    page.get_by_label("Enabled").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}/account/sso/jumpcloud/")
    group = SSOGroup.objects.get(account=account, slug="jumpcloud")
    assert (group.idp_entity_id, group.sso_url, group.enabled) == (
        "samlify",
        "https://sso.jumpcloud.com/saml2/samlify",
        True,
    )

    # The SP values to paste into JumpCloud, copied with the page's own button.
    acs = f"{live_server.url}/api/v1/users/saml/{account.pk}/jumpcloud/consume"
    assert page.get_by_role("textbox", name="SAML 2.0 Consumer (POST) URL").input_value() == acs
    assert page.get_by_role("textbox", name="Audience URI (SP Entity ID)").input_value() == group.sp_entity_id
    page.get_by_role("button", name="Copy the SAML 2.0 Consumer (POST) URL").click()
    expect(page.locator("#copy-status")).to_have_text("Copied: SAML 2.0 Consumer (POST) URL")
    assert page.evaluate("navigator.clipboard.readText()") == acs

    # Generate a SCIM token: shown once, and it authenticates against the SCIM API.
    page.goto(f"{live_server.url}/account/settings/")
    page.get_by_label("SSO group").select_option(label="JumpCloud (jumpcloud)")
    page.get_by_label("Label").fill("JumpCloud production")
    page.get_by_role("button", name="Generate SCIM token").click()
    token = page.get_by_role("textbox", name="SCIM token").input_value()
    assert token.startswith("sso_scim_")
    assert "it will not be shown again" in page.get_by_role("alert").inner_text()
    api = context.request.get(
        f"{live_server.url}/api/v1/users/scim/v2/Users", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status == 200
    # The token acts for its SSO group: the password admin is not among the users it manages.
    assert api.json()["totalResults"] == 0
    assert ScimToken.objects.get().label == "JumpCloud production"

    page.goto(f"{live_server.url}/account/settings/")
    assert page.locator("#scim-token").count() == 0
    assert token not in page.content()
    # Back to the generating POST's page: no-store means the browser has nothing to show.
    with pytest.raises(PlaywrightError, match="ERR_CACHE_MISS"):
        page.go_back()
    expect(page.locator("#scim-token")).to_have_count(0)  # retries while Chromium's error page loads
    context.close()
