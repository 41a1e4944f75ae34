"""JumpCloud's SparkPost article, walked in a real browser with its labels (issue #12): upload →
a group from only a Name; placeholder metadata + pasted certificate; Name + Certificate + Endpoint →
enabled, and a real sign-in pins the issuer; a SCIM token that a reload never mints or shows again;
a test sign-in that reports success and a failure's reason; an event log that fits 1280 and 390 px."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.events import event_record
from accounts.models import Event, User
from accounts.users import account_create, user_create
from scim.models import ScimToken
from ssogroups.models import SSOGroup, SSOLoginFailure
from tests.browser.conftest import sign_in
from tests.browser.idp_server import browser_idp
from tests.ssogroups.saml.idp import SP, TestIdP, sp_of
from tests.support.keys import make_keypair, shared_keypair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser pass 42"
DATA = Path(__file__).resolve().parents[1] / "ssogroups" / "data"
ISSUER = "https://idp.example.test/saml"
# `SPARKSSO_SCREENSHOTS=docs/screenshots pytest tests/browser` also saves each page at 1280 and 390 px.
SHOTS = os.environ.get("SPARKSSO_SCREENSHOTS", "")


def shot(page, name: str) -> None:
    """Every page the walk visits fits 1280 and 390 px without sideways scrolling (and is saved when asked)."""
    width = page.viewport_size["width"]
    for w in (1280, 390):
        page.set_viewport_size({"width": w, "height": 900})
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {w}px"
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{w}.png"), full_page=True)
    page.set_viewport_size({"width": width, "height": 900})


@pytest.fixture
def admin_page(live_server, page, settings):
    settings.BASE_URL = live_server.url
    account, admin = account_create(
        name="Demo", admin_email="admin@example.com", admin_password=PASSWORD, plan="enterprise"
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, "admin@example.com", PASSWORD)
    page.account = account
    page.base = live_server.url
    return page


@pytest.fixture
def test_idp(tmp_path):
    return TestIdP(tmp_path / "idp", shared_keypair("saml-idp-main"), entity_id=ISSUER)


def _new_group_form(page):
    shot(page, "dashboard")
    page.goto(f"{page.base}/account/sso/")
    shot(page, "sso-groups-empty")
    page.get_by_role("link", name="Create New SSO Group +").click()
    # Loaded (the "load" event): the script that derives the ID as you type is running. Typing
    # before it ran left the ID empty, a flake under load.
    page.wait_for_url(f"{page.base}/account/sso/new")


def test_upload_creates_a_group_with_only_a_name(admin_page):
    page = admin_page
    _new_group_form(page)
    page.get_by_label("Name", exact=True).fill("JumpCloud")
    expect(page.get_by_label("ID", exact=True)).to_have_value("jumpcloud")  # shown as you type
    page.get_by_label("Parse SAML 2.0 XML Config").set_input_files(str(DATA / "jumpcloud-export.xml"))
    # The chosen file is read at once: the manual fields show what it holds.
    expect(page.get_by_label("SAML 2.0 Endpoint")).to_have_value("https://sso.jumpcloud.com/saml2/samlify")
    expect(page.get_by_role("status").first).to_contain_text("Read the metadata of samlify")
    expect(page.get_by_label("Name", exact=True)).to_have_value("JumpCloud")
    shot(page, "create-group-read")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{page.base}/account/sso/jumpcloud/")
    group = SSOGroup.objects.get(account=page.account)
    assert (group.slug, group.idp_entity_id) == ("jumpcloud", "samlify")
    assert group.certificates.count() == 1


def test_placeholder_metadata_and_pasted_certificate(admin_page):
    page = admin_page
    real = make_keypair("JumpCloud real")
    _new_group_form(page)
    page.get_by_label("Name", exact=True).fill("JumpCloud")
    page.get_by_label("Parse SAML 2.0 XML Config").set_input_files(str(DATA / "jumpcloud-placeholder-cert.xml"))
    # The placeholder is named, the rest of the file is shown, and the file is kept: no re-pick.
    expect(page.get_by_text("'TODO' is not a base64-encoded X.509 certificate")).to_be_visible()
    expect(page.get_by_label("SAML 2.0 Endpoint")).to_have_value("https://sso.jumpcloud.com/saml2/auth-portal-saml")
    assert "urn:auth-portal" in page.get_by_label("…or paste the SAML 2.0 XML Config").input_value()
    shot(page, "create-group-placeholder")
    page.get_by_label("SAML 2.0 Certificate", exact=True).fill(real.cert_pem)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{page.base}/account/sso/jumpcloud/")
    group = SSOGroup.objects.get(account=page.account)
    assert [c.subject for c in group.certificates.all()] == ["CN=JumpCloud real"]
    assert group.idp_entity_id == "urn:auth-portal"


def test_name_certificate_endpoint_enable_and_a_real_sign_in_pins_the_issuer(admin_page, browser, test_idp):
    page = admin_page
    with browser_idp(test_idp, SP("", "")) as idp_server:
        _new_group_form(page)
        page.get_by_label("Name", exact=True).fill("JumpCloud")
        page.get_by_label("SAML 2.0 Certificate", exact=True).fill(test_idp.keypair.cert_pem)
        page.get_by_label("SAML 2.0 Endpoint").fill(idp_server.sso_url)
        page.get_by_label("Enabled").check()
        shot(page, "create-group-manual")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(f"{page.base}/account/sso/jumpcloud/")
        group = SSOGroup.objects.get(account=page.account)
        assert (group.enabled, group.idp_entity_id) == (True, "")
        expect(page.locator("#idp-entity-id")).to_contain_text("Not set: the Issuer of the first sign-in")
        idp_server.sp = sp_of(group)
        user_create(account=page.account, username="alice@example.com", email="alice@example.com", sso_group=group)

        person = browser.new_context().new_page()
        person.goto(group.login_url)
        person.get_by_role("button", name="Continue").click()
        person.wait_for_url(f"{page.base}/")
        assert person.evaluate("fetch('/api/v1/session').then(r => r.json())")["username"] == "alice@example.com"
        person.context.close()

        group.refresh_from_db()
        assert group.idp_entity_id == ISSUER and group.issuer_pinned_at is not None
        assert Event.objects.filter(event="sso_group_issuer_pinned", target="jumpcloud").count() == 1
        page.reload()
        expect(page.locator("#idp-entity-id")).to_contain_text(ISSUER)
        expect(page.locator("#issuer-pinned")).to_contain_text("pinned from the first signed sign-in")
        shot(page, "group-page")


def test_scim_token_generated_once_and_a_reload_mints_none(admin_page, make_group=None):
    page = admin_page
    group = SSOGroup.objects.create(
        account=page.account, name="JumpCloud", slug="jumpcloud", enabled=True, sso_url="https://idp.example.com/sso"
    )
    page.goto(f"{page.base}/account/settings/")
    shot(page, "settings")
    page.get_by_label("Label").fill("JumpCloud production")
    page.get_by_role("button", name="Generate SCIM token").click()
    token = page.get_by_role("textbox", name="SCIM token").input_value()
    assert token.startswith("sso_scim_")
    shot(page, "settings-token-shown")
    page.reload()  # the browser may re-POST the same form: nothing is minted, nothing shown
    expect(page.locator("#scim-token")).to_have_count(0)
    assert token not in page.content()
    if "already generated" in page.content():
        expect(page.get_by_text("This form already generated its SCIM token")).to_be_visible()
    page.goto(f"{page.base}/account/settings/")
    expect(page.locator("#scim-token")).to_have_count(0)
    assert ScimToken.objects.filter(sso_group=group).count() == 1


def test_test_sign_in_shows_success_then_a_failures_reason(admin_page, test_idp, tmp_path):
    page = admin_page
    with browser_idp(test_idp, SP("", "")) as idp_server:
        group = SSOGroup.objects.create(
            account=page.account, name="JumpCloud", slug="jumpcloud", enabled=True, sso_url=idp_server.sso_url
        )
        group.certificates.create(pem=test_idp.keypair.cert_pem, sha256_fingerprint="t")
        idp_server.sp = sp_of(group)
        user_create(account=page.account, username="alice@example.com", email="alice@example.com", sso_group=group)
        sessions_before = User.objects.get(username="alice@example.com").sessions.count()

        page.goto(f"{page.base}/account/sso/jumpcloud/")
        page.get_by_role("button", name="Test sign-in").click()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Test sign-in: it works")
        for label in ("Signature", "Issuer", "Audience", "Destination and recipient", "Time window"):
            expect(page.locator(".check-passed", has_text=label)).to_be_visible()
        expect(page.locator("#test-user")).to_contain_text("alice@example.com")
        shot(page, "test-sign-in-success")
        page.goto(f"{page.base}/account/sso/")
        shot(page, "sso-groups")
        page.goto(f"{page.base}/account/users/")
        shot(page, "users")
        assert User.objects.get(username="alice@example.com").sessions.count() == sessions_before

        idp_server.signer = TestIdP(tmp_path / "other", make_keypair("Old key"), entity_id=ISSUER)
        page.goto(f"{page.base}/account/sso/jumpcloud/")
        page.get_by_role("button", name="Test sign-in").click()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Test sign-in: it failed")
        expect(page.locator("#test-reason")).to_contain_text(
            "The signature did not verify with any certificate configured for this group."
        )
        expect(page.locator("#test-reason")).to_contain_text("“Download certificate”")
        expect(page.locator(".check-failed", has_text="Signature")).to_be_visible()
        shot(page, "test-sign-in-failure")
        # A test is reported here and evented as a test, never a diagnostics row of real sign-ins.
        expect(page.get_by_role("link", name="sign-in diagnostics")).to_have_count(0)
        assert not SSOLoginFailure.objects.filter(group=group).exists()


@pytest.mark.parametrize("width", [1280, 390])
def test_event_log_fits_and_event_names_stay_on_one_line(admin_page, width):
    page = admin_page
    account = page.account
    for i in range(60):
        event_record(
            account=account,
            event=["sso_login_failure", "user_update_provision", "sso_group_issuer_pinned"][i % 3],
            actor="https://sso.jumpcloud.com/saml2/a-very-long-application-identifier-for-sparkpost",
            target=f"someone.with.a.long.address.{i}@subdomain.example-company.com",
            outcome="failure" if i % 3 == 0 else "success",
            reason="bad_signature" if i % 3 == 0 else "",
            changes={"group": "jumpcloud", "reference": f"REF{i}"} if i % 3 == 0 else {},
        )
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{page.base}/account/events/")
    assert page.locator("#events tbody tr").count() == 50
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
    heights = page.locator(".event-name").evaluate_all("els => els.map(e => e.getClientRects().length)")
    assert set(heights) == {1}, "an event name wraps"
    line = page.locator(".event-name").first.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 24")
    tallest = max(page.locator(".event-name").evaluate_all("els => els.map(e => e.getBoundingClientRect().height)"))
    assert tallest <= line * 1.5
    # Date pickers, and the filter narrows the log.
    assert page.get_by_label("From").get_attribute("type") == "date"
    page.get_by_label("Outcome").select_option("failure")
    page.get_by_label("From").fill((Event.objects.latest("time").time - timedelta(days=1)).date().isoformat())
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#events tbody tr")).to_have_count(20)
    shot(page, "events")
    page.get_by_role("link", name="Diagnostics").first.click()
    page.wait_for_url("**/account/sso/jumpcloud/failures#ref-*")
