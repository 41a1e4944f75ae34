"""README "Try it with the development IdP", step by step, in a browser plus `curl`.

It types exactly what the README says (the name `Dev IdP`, never an ID of its own: the page derives
it) and records the text of every page each step shows, so a test can check the README's quoted
labels, IDs and buttons against them. Run by tests/browser/test_devidp_walkthrough.py against a
live server, and by `make screenshots` (tests/browser/screenshots.py) to regenerate
docs/walkthrough/ from the real pages. By hand against `make run` + `make idp`:

    .venv/bin/python -m tests.browser.walkthrough --base http://127.0.0.1:8000 --idp http://127.0.0.1:8001 \\
        --password <the demo admin password> --screenshots docs/walkthrough
"""

import argparse
import json
import subprocess
from pathlib import Path

from playwright.sync_api import expect

ALICE = "alice@example.com"
# The README's curl command, word for word apart from the origin and the token.
SCIM_CREATE = (
    '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice@example.com",'
    '"name":{"givenName":"Alice","familyName":"Liddell"},'
    '"emails":[{"value":"alice@example.com","primary":true}],"active":true}'
)


# What the README's step 2 types into the Name field, and the ID the page derives from it.
GROUP_NAME = "Dev IdP"
GROUP_ID = "dev-idp"

# Everything a person can read on a page: its text, plus what form fields hold and offer.
_PAGE_TEXT = """() => [document.body.innerText,
  ...Array.from(document.querySelectorAll('input, textarea')).map(e => e.value),
  ...Array.from(document.querySelectorAll('option')).map(e => e.textContent)].join('\\n')"""


class Shots:
    """Screenshots of each screen, when a folder is given (1280 px wide, the whole page), and the text
    of every page each README step shows (``seen[step]``), whether or not it is photographed."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.seen: dict[int, list[str]] = {}
        self.taken: list[str] = []
        if folder:
            folder.mkdir(parents=True, exist_ok=True)

    def see(self, page, step: int) -> None:
        self.seen.setdefault(step, []).append(page.evaluate(_PAGE_TEXT))

    def take(self, page, name: str, step: int) -> None:
        self.see(page, step)
        self.taken.append(f"{name}.png")
        if self.folder:
            page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)


def curl_provision(base: str, token: str) -> dict:
    result = subprocess.run(  # noqa: S603 (curl, as the README shows it)
        [
            "curl", "-sS", "-X", "POST", f"{base}/api/v1/users/scim/v2/Users",
            "-H", f"Authorization: Bearer {token}",
            "-H", "Content-Type: application/scim+json",
            "-d", SCIM_CREATE,
        ],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def _new_page(browser):
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.set_default_timeout(15000)
    return page


def walkthrough(browser, *, base: str, idp: str, admin_email: str, admin_password: str, shots: Shots) -> dict:
    """Every step of the README section; returns what a test checks afterwards."""
    admin = _new_page(browser)
    # 1-2. Sign in as the demo admin.
    admin.goto(f"{base}/login")
    admin.get_by_label("Email or username").fill(admin_email)
    shots.see(admin, 2)
    admin.get_by_role("button", name="Continue").click()
    admin.get_by_label("Password").fill(admin_password)
    admin.get_by_role("button", name="Sign in").click()
    admin.wait_for_url(f"{base}/")

    # 2. SSO → Create New SSO Group +, from the dev IdP's metadata URL; the ID comes from the name.
    shots.see(admin, 2)
    admin.get_by_role("link", name="SSO", exact=True).click()
    shots.see(admin, 2)
    admin.get_by_role("link", name="Create New SSO Group +").click()
    admin.wait_for_url(f"{base}/account/sso/new")  # loaded: the script that derives the ID is running
    admin.get_by_label("Name", exact=True).fill(GROUP_NAME)
    expect(admin.get_by_label("ID", exact=True)).to_have_value(GROUP_ID)
    admin.get_by_label("…or its URL").fill(f"{idp}/metadata")
    shots.take(admin, "01-create-sso-group", 2)
    admin.get_by_role("button", name="Save").click()
    admin.wait_for_url(f"{base}/account/sso/{GROUP_ID}/")

    # 3. Enable it.
    shots.see(admin, 3)
    admin.get_by_role("button", name="Enable", exact=True).click()
    expect(admin.get_by_role("button", name="Test sign-in", exact=True)).to_be_visible()
    shots.take(admin, "02-sso-group-enabled", 3)

    # 4. Settings → Generate SCIM token for the group.
    admin.get_by_role("link", name="Settings", exact=True).click()
    shots.see(admin, 4)
    admin.get_by_label("SSO group").select_option(label=f"{GROUP_NAME} ({GROUP_ID})")
    admin.get_by_role("button", name="Generate SCIM token").click()
    token = admin.get_by_role("textbox", name="SCIM token").input_value()
    shots.take(admin, "03-scim-token", 4)

    # 5. Provision alice with curl.
    created = curl_provision(base, token)

    # 6. A private window: alice signs in from /login through the dev IdP.
    alice = _new_page(browser)
    alice.goto(f"{base}/login")
    alice.get_by_label("Email or username").fill(ALICE)
    shots.take(alice, "04-login", 6)
    alice.get_by_role("button", name="Continue").click()
    alice.wait_for_url(f"{idp}/sso?*")
    alice.get_by_label("Email").fill(ALICE)
    shots.take(alice, "05-devidp-sign-in", 6)
    alice.get_by_role("button", name="Sign in", exact=True).click()
    alice.wait_for_url(f"{base}/")
    expect(alice.get_by_role("heading", level=1)).to_have_text("Welcome, Alice Liddell")
    shots.take(alice, "06-signed-in", 6)

    # 7. Sign out, then sign in again from the dev IdP's tile.
    alice.get_by_role("button", name="Sign out").click()
    alice.wait_for_url(f"{base}/login")
    alice.goto(f"{idp}/")
    shots.take(alice, "07-devidp-tiles", 7)
    alice.get_by_role("button", name=f"{GROUP_ID} (account").click()
    alice.wait_for_url(f"{base}/")
    expect(alice.get_by_role("heading", level=1)).to_have_text("Welcome, Alice Liddell")
    shots.see(alice, 7)

    # 8. A broken response: the user gets a reference, the admin the reason.
    alice.get_by_role("button", name="Sign out").click()
    alice.wait_for_url(f"{base}/login")
    alice.get_by_label("Email or username").fill(ALICE)
    alice.get_by_role("button", name="Continue").click()
    alice.get_by_label("Email").fill(ALICE)
    alice.get_by_label("Response to send").select_option(label="Wrong audience")
    shots.take(alice, "08-devidp-broken-response", 8)
    alice.get_by_role("button", name="Sign in", exact=True).click()
    expect(alice.get_by_role("heading", level=1)).to_have_text("Sign-in failed")
    reference = alice.locator("#reference").inner_text()
    shots.take(alice, "09-sign-in-failed", 8)

    admin.get_by_role("link", name="SSO", exact=True).click()
    shots.see(admin, 8)
    admin.get_by_role("link", name=GROUP_NAME).first.click()
    shots.see(admin, 8)
    admin.get_by_role("link", name="Sign-in diagnostics").click()
    row = admin.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("The assertion's Audience is not this group's SP entity ID.")
    shots.take(admin, "10-diagnostics", 8)
    for page in (admin, alice):
        page.context.close()
    return {"token": token, "created": created, "reference": reference}


def main() -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, FLAGS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--idp", default="http://127.0.0.1:8001")
    parser.add_argument("--admin", default="admin@example.com")
    parser.add_argument("--password", required=True)
    parser.add_argument("--screenshots", type=Path, default=None)
    args = parser.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        result = walkthrough(
            browser,
            base=args.base,
            idp=args.idp,
            admin_email=args.admin,
            admin_password=args.password,
            shots=Shots(args.screenshots),
        )
        browser.close()
    print(json.dumps({"provisioned": result["created"].get("userName"), "reference": result["reference"]}))


if __name__ == "__main__":
    main()
