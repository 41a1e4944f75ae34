"""Every admin page and the sign-in pages, in Chromium at 1280 and 390 px, with realistic data (long
emails, long labels, many tokens): no horizontal page scroll, no axe-core violation of WCAG 2.0/2.1
A and AA, identifiers broken only at their separators (issue 24). Plus the layout details the issue
names: the token table's Actions in view, the event filter's labels on one row, the ID preview.

axe-core is installed by `make test`'s bootstrap from the npm registry, pinned (Makefile: AXE_VERSION),
into var/node/; it runs inside each page (the context bypasses our CSP only to inject it).
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.event_types import AccountEvent
from accounts.events import event_record
from accounts.users import account_create, user_create
from scim.tokens import scim_token_create
from sparksso import clock
from ssogroups import trust
from ssogroups.models import SSOCertificate, SSODomain, SSOGroup, SSOLoginFailure
from tests.browser.conftest import sign_in
from tests.ssogroups.samples import cert_pem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_JS = Path(__file__).resolve().parents[2] / "var" / "node" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (1280, 390)
ADMIN = "margaret.hamilton-longname@engineering.subsidiary.example-corporation.com"
PASSWORD = "browser pages 42"
LONG_LABEL = "JumpCloud production tenant for the EMEA subsidiaries (rotated quarterly by the platform team)"
UNBROKEN_LABEL = "jumpcloud-production-emea-subsidiaries-rotated-quarterly-by-the-platform-team-2026"

AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => `${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
}"""
# Identifiers (|ident) wrap only at their separators: each piece between two <wbr> stays on one line.
IDENT_BROKEN = r"""() => {
  const broken = [];
  for (const el of document.querySelectorAll('.ident')) {
    for (const node of el.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE) continue;
      for (const word of node.textContent.matchAll(/\S+/g)) {  // a space may wrap; a word may not
        const range = document.createRange();
        range.setStart(node, word.index); range.setEnd(node, word.index + word[0].length);
        const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(el.textContent);
      }
    }
  }
  // An address in a table cell outside |ident would wrap anywhere the browser likes.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const cell = node.parentElement.closest('td, th');
    if (/\S@\S/.test(node.textContent) && cell && !node.parentElement.closest('.ident, .visually-hidden')) {
      broken.push(`not an identifier: ${node.textContent.trim()}`);
    }
  }
  return broken;
}"""
SCROLL = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
# Text running past the right edge of its card (or the window), outside a table's own scroll region:
# what scrollWidth misses when it overflows a card but not the window.
OVERFLOW = r"""() => {
  const out = [], width = document.documentElement.clientWidth;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!node.textContent.trim() || parent.closest('.table-scroll, .visually-hidden, .skip, select')) continue;
    const box = parent.closest('.card');
    const edge = box ? box.getBoundingClientRect().right : width;
    const range = document.createRange(); range.selectNodeContents(node);
    const past = Array.from(range.getClientRects()).some(r => r.right > edge + 1);
    if (past) out.push(node.textContent.trim().slice(0, 80));
  }
  return out;
}"""


@pytest.fixture
def world(sparksso):
    """An enterprise account as a busy admin has it: three groups, many tokens, long names, events."""
    account, admin = account_create(name="Example Corporation EMEA", admin_email=ADMIN, admin_password=PASSWORD,
                                    plan="enterprise")  # fmt: skip
    live = SSOGroup.objects.create(
        account=account, name="JumpCloud (production, all EMEA subsidiaries)", slug="jumpcloud-production-emea",
        idp_entity_id="https://sso.jumpcloud.com/saml2/sparkpost-production-emea-subsidiaries",
        sso_url="https://sso.jumpcloud.com/saml2/sparkpost-production-emea-subsidiaries", enabled=True,
    )  # fmt: skip
    not_after = clock.now() + timedelta(days=400)
    SSOCertificate.objects.create(group=live, pem=cert_pem("JumpCloud", days_left=3650), not_after=not_after,
                                  subject="CN=JumpCloud,OU=SSO,O=Example Corporation EMEA,L=Louisville,ST=CO,C=US",
                                  sha256_fingerprint=":".join(["AB"] * 32))  # fmt: skip
    SSODomain.objects.create(account=account, group=live, domain="engineering.subsidiary.example-corporation.com",
                             verification_token="t" * 43)  # fmt: skip
    SSOGroup.objects.create(account=account, name="Okta (not set up yet)", slug="okta", enabled=False)
    # A change of trust waiting for approval: the group page's table of values now and proposed.
    new_url = "https://sso.jumpcloud.com/saml2/sparkpost-production-emea-subsidiaries-2027"
    trust.ssogroup_change(group=live, authority=trust.Authority.RECENT, actor=ADMIN, sso_url=new_url)
    assert trust.trust_change_get(group=live) is not None
    users = []
    for n in range(6):
        users.append(
            user_create(
                account=account, username=f"firstname.lastname-{n}@engineering.subsidiary.example-corporation.com",
                email=f"firstname.lastname-{n}@engineering.subsidiary.example-corporation.com",
                first_name="Maximiliana", last_name="Wolfeschlegelsteinhausen", sso_group=live if n % 2 else None,
            )
        )  # fmt: skip
    tokens = [
        scim_token_create(account=account, sso_group=live, label=label, created_by=admin)[0]
        for label in [LONG_LABEL, UNBROKEN_LABEL] * 6
    ]
    for n in range(3):
        SSOLoginFailure.objects.create(
            group=live, reference=f"9E4592{n}3A5", reason="wrong_audience",
            detail="https://sparksso.example/api/v1/users/saml/1/jumpcloud-production-emea/metadata is not valid",
            issuer="https://sso.jumpcloud.com/saml2/sparkpost-production-emea-subsidiaries", name_id=users[1].email,
        )  # fmt: skip
        event_record(account=account, event=AccountEvent.PASSWORD_LOGIN_FAILURE, actor="anonymous",
                     target=users[n].email, outcome="failure", reason="bad credentials")  # fmt: skip
    return {"account": account, "live": live, "users": users, "tokens": tokens}


def admin_pages(world) -> list[str]:
    live, managed = world["live"].slug, world["users"][1]
    return [
        "/",
        "/account/sso/",
        "/account/sso/new",
        f"/account/sso/{live}/",
        f"/account/sso/{live}/edit",
        f"/account/sso/{live}/failures",
        f"/account/sso/{live}/disable",
        f"/account/sso/{live}/delete",
        "/account/sso/okta/",
        "/account/settings/",
        f"/account/settings/scim-tokens/{world['tokens'][0].pk}/revoke",
        "/account/users/",
        f"/account/users/{managed.pk}/unbind",
        "/account/events/",
        "/account/reauth",
    ]


def _check(page, url: str) -> dict:
    page.goto(url)
    page.add_script_tag(path=str(AXE_JS))
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
    return problems


def _context(browser, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def test_axe_core_is_installed():
    assert AXE_JS.is_file(), "axe-core is missing: run `make bootstrap` (npm install into var/node/)"


@pytest.mark.parametrize("width", WIDTHS)
def test_every_admin_and_sign_in_page_fits_and_passes_axe(sparksso, world, browser, width):
    assert AXE_JS.is_file(), "axe-core is missing: run `make bootstrap` (npm install into var/node/)"
    context, page = _context(browser, width)
    found = {}
    for url in ("/login", "/login?method=password"):
        if problems := _check(page, f"{sparksso}{url}"):
            found[url] = problems
    sign_in(page, sparksso, ADMIN, PASSWORD)
    for url in admin_pages(world):
        if problems := _check(page, f"{sparksso}{url}"):
            found[url] = problems
    context.close()
    assert found == {}, json.dumps(found, indent=1)


def test_the_token_tables_revoke_is_in_view_at_1280_without_scrolling(sparksso, world, browser):
    context, page = _context(browser, 1280)
    sign_in(page, sparksso, ADMIN, PASSWORD)
    page.goto(f"{sparksso}/account/settings/")
    scroller = page.locator("#tokens").locator("xpath=..")
    assert page.evaluate("e => e.scrollWidth <= e.clientWidth", scroller.element_handle())
    revokes = page.get_by_role("link", name="Revoke…")
    assert revokes.count() == len(world["tokens"])
    box, frame = revokes.last.bounding_box(), scroller.bounding_box()
    assert box["x"] + box["width"] <= frame["x"] + frame["width"]
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_event_filters_labels_line_up_and_to_stays_beside_from(sparksso, world, browser, width):
    context, page = _context(browser, width)
    sign_in(page, sparksso, ADMIN, PASSWORD)
    page.goto(f"{sparksso}/account/events/")
    labels = {name: page.locator(f"label[for=f-{name}]").bounding_box() for name in ("event", "from", "to")}
    assert all(box["height"] < 30 for box in labels.values())  # one line each
    assert labels["from"]["y"] == labels["to"]["y"]
    if width == 1280:
        assert labels["event"]["y"] == labels["from"]["y"]
    context.close()


def test_the_id_preview_is_empty_until_a_name_is_typed(sparksso, world, browser):
    context, page = _context(browser, 1280)
    sign_in(page, sparksso, ADMIN, PASSWORD)
    page.goto(f"{sparksso}/account/sso/new")
    expect(page.locator("#slug-preview")).to_have_text("")
    page.get_by_label("Name", exact=True).fill("Dev IdP")
    expect(page.locator("#slug-preview")).to_have_text("Its URLs will end in /dev-idp/")
    page.get_by_label("Name", exact=True).fill("")
    expect(page.locator("#slug-preview")).to_have_text("")
    context.close()


def test_continue_puts_the_cursor_in_the_password_field(sparksso, world, browser):
    context, page = _context(browser, 390)
    page.goto(f"{sparksso}/login")
    expect(page.get_by_label("Email or username")).to_be_focused()
    page.get_by_label("Email or username").fill(ADMIN)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Password")).to_be_focused()
    context.close()


def test_no_page_asks_for_a_missing_favicon(sparksso, world, browser):
    context, page = _context(browser, 1280)
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    sign_in(page, sparksso, ADMIN, PASSWORD)
    page.goto(f"{sparksso}/account/sso/")
    page.wait_for_load_state("networkidle")
    assert missing == []
    context.close()


SHOTS = Path("/tmp/shots-pages")


@pytest.mark.skipif(not os.environ.get("PAGES_SHOTS"), reason="screenshots for a person, on request")
def test_screenshots_for_review(sparksso, world, browser):
    """PAGES_SHOTS=1: every page above at both widths into /tmp/shots-pages/ (for a person to look at)."""
    SHOTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        context, page = _context(browser, width)
        page.goto(f"{sparksso}/login")
        page.screenshot(path=str(SHOTS / f"login-{width}.png"), full_page=True)
        sign_in(page, sparksso, ADMIN, PASSWORD)
        for url in admin_pages(world):
            page.goto(f"{sparksso}{url}")
            name = url.strip("/").replace("/", "_") or "dashboard"
            page.screenshot(path=str(SHOTS / f"{name[:60]}-{width}.png"), full_page=True)
        context.close()
