"""The setup link end to end in a real browser: the admin creates one; a second browser with no account
opens it, confirms the emailed code, uploads the dev IdP's metadata, enables the group, runs a test
sign-in through the dev IdP and generates a SCIM token; the admin revokes it and every page of it is a
404; the admin's event log shows each step with the link as the actor. Screenshots of every new page at
1280 and 390 px go to var/screenshots/setup-link/."""

import re
import urllib.request
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Event
from accounts.users import account_create, user_create
from console.models import SetupLink
from scim.models import ScimToken
from ssogroups.models import SSOGroup
from tests.browser.conftest import sign_in
from tests.browser.devidp_flow import ADMIN_EMAIL, ADMIN_PASSWORD, ALICE, devidp_answer
from tests.browser.test_pages_browser import AXE_JS, AXE_RUN, IDENT_BROKEN, OVERFLOW, SCROLL, WCAG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IT_EMAIL = "it@customer.example"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "setup-link"


PROBLEMS: dict[str, dict] = {}


def shoot(page, name: str) -> None:
    """The page at 1280 and 390 px wide (full page), then back to 1280; at each width the pages test's
    checks (no horizontal scroll, no text past its card, axe-core WCAG 2.1 AA, identifiers unbroken)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.add_script_tag(path=str(AXE_JS))
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        problems = {}
        scroll_width, client_width = page.evaluate(SCROLL)
        if scroll_width > client_width:
            problems["horizontal scroll"] = f"{scroll_width} > {client_width}"
        if overflowing := page.evaluate(OVERFLOW):
            problems["text past the right edge"] = overflowing[:3]
        if violations := page.evaluate(AXE_RUN, WCAG):
            problems["axe"] = violations
        if broken := page.evaluate(IDENT_BROKEN):
            problems["identifiers broken mid-word"] = broken[:3]
        if problems:
            PROBLEMS[f"{name} at {width}"] = problems
    page.set_viewport_size({"width": 1280, "height": 900})


def new_page(browser):
    page = browser.new_context(bypass_csp=True).new_page()  # bypass_csp: to inject axe-core
    page.set_default_timeout(15000)
    return page


def test_setup_link_end_to_end(sparksso, devidp, browser, tmp_path):
    account, _admin = account_create(
        name="Demo", admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD, plan="enterprise"
    )
    PROBLEMS.clear()
    admin = new_page(browser)
    sign_in(admin, sparksso, ADMIN_EMAIL, ADMIN_PASSWORD)

    # The admin: a link for a new group, allowed to enable it and to generate SCIM tokens.
    admin.goto(f"{sparksso}/account/setup-links/")
    expect(admin.get_by_text("No setup links yet")).to_be_visible()
    shoot(admin, "admin-list-empty")
    admin.get_by_label("SSO group", exact=True).select_option(label="A new SSO group")
    admin.get_by_label("Name of the new SSO group").fill("Customer IdP")
    admin.get_by_label("Email of the person it is for").fill(IT_EMAIL)
    admin.get_by_label("Allow enabling the group").check()
    admin.get_by_label("Allow generating SCIM tokens for the group").check()
    admin.get_by_role("button", name="Create setup link").click()
    url = admin.get_by_role("textbox", name="Setup link").input_value()
    assert re.fullmatch(rf"{re.escape(sparksso)}/setup/open\?token=sso_setup_[A-Za-z0-9_-]+", url)
    shoot(admin, "admin-created")
    link = SetupLink.objects.get()
    group = SSOGroup.objects.get(account=account)
    assert not group.enabled

    # The IT person, in a browser with no sparksso account.
    holder = new_page(browser)
    holder.goto(url)
    holder.wait_for_url(f"{sparksso}/setup/{link.public_id}/confirm")
    expect(holder.get_by_role("heading", level=1)).to_have_text("Set up single sign-on for Demo")
    shoot(holder, "holder-confirm")
    holder.get_by_role("button", name="Send the code").click()
    expect(holder.get_by_text(f"We sent a code to {IT_EMAIL}")).to_be_visible()
    assert mail.outbox[-1].to == [IT_EMAIL]
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    holder.get_by_label("Code from the email").fill("000000" if code != "000000" else "111111")
    holder.get_by_role("button", name="Confirm").click()
    expect(holder.get_by_text("That code is not right")).to_be_visible()
    shoot(holder, "holder-confirm-wrong-code")
    holder.get_by_label("Code from the email").fill(code)
    holder.get_by_role("button", name="Confirm").click()
    holder.wait_for_url(f"{sparksso}/setup/{link.public_id}/")
    expect(holder.get_by_role("textbox", name="SAML 2.0 Consumer (POST) URL")).to_have_value(group.acs_url)
    shoot(holder, "holder-group-new")

    # Upload the dev IdP's metadata file, as exported.
    metadata = tmp_path / "JumpCloud-devidp-metadata.xml"
    with urllib.request.urlopen(f"{devidp.base_url}/metadata/download", timeout=10) as response:  # noqa: S310
        metadata.write_bytes(response.read())
    holder.get_by_label("Parse SAML 2.0 XML Config").set_input_files(str(metadata))
    holder.get_by_role("button", name="Save").click()
    expect(holder.get_by_text("Saved. Now run a test sign-in.")).to_be_visible()
    holder.get_by_role("button", name="Enable", exact=True).click()
    expect(holder.get_by_text("The group is enabled")).to_be_visible()
    shoot(holder, "holder-group-enabled")

    # Test sign-in through the dev IdP: a user the group manages (as SCIM would have created her).
    user_create(account=account, username=ALICE, email=ALICE, sso_group=SSOGroup.objects.get(pk=group.pk))
    holder.get_by_role("button", name="Test sign-in").click()
    holder.wait_for_url(f"{devidp.base_url}/sso?*")
    devidp_answer(holder, email=ALICE)
    holder.wait_for_url(re.compile(rf"{re.escape(sparksso)}/setup/{link.public_id}/test/.+"))
    expect(holder.get_by_role("heading", level=1)).to_have_text("Test sign-in: it works")
    shoot(holder, "holder-test-report")
    assert holder.request.get(f"{sparksso}/api/v1/session").status == 401  # nobody signed in

    # A SCIM token for the group, shown once.
    holder.get_by_role("link", name="← Customer IdP").click()
    holder.get_by_role("button", name="Generate SCIM token").click()
    token = holder.get_by_role("textbox", name="SCIM token").input_value()
    assert token.startswith("sso_scim_")
    shoot(holder, "holder-token")
    assert ScimToken.objects.get().sso_group_id == group.pk

    # The admin sees the activity and revokes the link at once.
    admin.goto(f"{sparksso}/account/setup-links/{link.public_id}/")
    activity = admin.locator("#link-activity")
    for name in (
        "setup_link_open",
        "setup_link_confirm",
        "sso_group_update",
        "sso_group_enable",
        "scim_token_generate",
    ):
        expect(activity.get_by_text(name, exact=True).first).to_be_visible()
    shoot(admin, "admin-detail")
    admin.get_by_role("button", name="Revoke now").click()
    expect(admin.locator("#link-status")).to_have_text("Revoked")

    # Every page of the link is gone for its holder (and for the link in the email).
    base = f"{sparksso}/setup/{link.public_id}/"
    for path in (url, base, base + "confirm", base + "test/anything"):
        response = holder.goto(path)
        assert response.status == 404, path
        expect(holder.get_by_text("This setup link is not active")).to_be_visible()
    shoot(holder, "holder-gone")
    for path in ("metadata", "enable", "test", "scim-token"):
        assert holder.request.post(base + path).status in (403, 404), path  # CSRF or gone: never through

    # The admin's event log: each step, with the link (and the person's email) as the actor.
    admin.goto(f"{sparksso}/account/events/?actor=setup-link:{link.public_id}")
    rows = admin.locator("#events tbody tr")
    actor = f"setup-link:{link.public_id} {IT_EMAIL}"
    for name in (
        "setup_link_open",
        "setup_link_code_send",
        "setup_link_confirm",
        "sso_group_update",
        "sso_group_enable",
        "setup_link_test_sign_in",
        "scim_token_generate",
    ):
        assert Event.objects.filter(event=name, actor=actor).exists(), name
        expect(rows.filter(has_text=name).first).to_be_visible()
    shoot(admin, "admin-events")
    admin.goto(f"{sparksso}/account/setup-links/")
    shoot(admin, "admin-list")
    assert PROBLEMS == {}
