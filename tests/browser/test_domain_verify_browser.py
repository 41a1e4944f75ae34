"""An account admin proves a domain in a real browser: copy the TXT record with the page's button,
publish exactly that on a real DNS server (127.0.0.1), press Verify, see the domain verified."""

import pytest
from playwright.sync_api import expect

from accounts.models import Event
from accounts.users import account_create
from ssogroups.domains_verify import MSG_VERIFIED, MSG_WRONG_TOKEN
from ssogroups.models import SSODomain, SSOGroup
from ssogroups.services import ssogroup_update
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser pass 42"


def test_admin_copies_the_record_publishes_it_and_verifies(live_server, browser, settings, dns_zone):
    settings.BASE_URL = live_server.url
    account, _ = account_create(
        name="Corp", admin_email="admin@corp.example", admin_password=PASSWORD, plan="enterprise"
    )
    group = SSOGroup.objects.create(account=account, name="JumpCloud", slug="jumpcloud")
    ssogroup_update(group=group, actor="setup", domains=["corp.example"])
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, live_server.url, "admin@corp.example", PASSWORD)
    page.goto(f"{live_server.url}/account/sso/jumpcloud/")

    # First press: nothing published yet, the page says what is missing.
    dns_zone.names["corp.example"] = ["v=spf1 -all"]
    page.get_by_role("button", name="Verify corp.example").click()
    claim = SSODomain.objects.get()
    expect(page.locator(".msg-error")).to_have_text(
        MSG_WRONG_TOKEN.format(domain="corp.example", record=claim.txt_record)
    )
    expect(page.get_by_text("Not verified: routes no one yet")).to_be_visible()

    # Copy the record with the page's button and publish exactly what was copied.
    page.get_by_role("button", name="Copy the TXT record for corp.example").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Copied: TXT record for corp.example")
    dns_zone.names["corp.example"].append(page.evaluate("navigator.clipboard.readText()"))

    page.get_by_role("button", name="Verify corp.example").click()
    expect(page.locator(".msg-success")).to_have_text(MSG_VERIFIED.format(domain="corp.example"))
    expect(page.get_by_role("button", name="Check corp.example again")).to_be_visible()
    claim.refresh_from_db()
    assert claim.is_verified
    assert list(Event.objects.filter(event="sso_domain_verify").values_list("outcome", "reason")) == [
        ("failure", "wrong_token"),
        ("success", ""),
    ]
    context.close()
