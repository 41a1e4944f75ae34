"""What the README's "Try it with the development IdP" walkthrough does, as steps browser tests share.

The app runs on http://localhost:<port> (live_server) and the dev IdP on http://127.0.0.1:<port>:
two sites, so the browser applies its cross-site cookie rules to every hop between them.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from playwright.sync_api import expect

from devidp.app import DevIdP
from tests.browser.conftest import sign_in

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "browser pass 42"
ALICE = "alice@example.com"
SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@dataclass
class Setup:
    base: str
    idp: str
    account_id: int
    slug: str
    token: str

    @property
    def failures_url(self) -> str:
        return f"{self.base}/account/sso/{self.slug}/failures"


def admin_connects_devidp(page, base: str, idp: DevIdP, *, slug: str = "devidp") -> Setup:
    """README walkthrough: create the group from the IdP's metadata URL, enable it, generate a token."""
    sign_in(page, base, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"{base}/account/sso/new")
    page.get_by_label("Name", exact=True).fill("Dev IdP")
    page.get_by_label("ID", exact=True).fill(slug)
    page.get_by_label("…or its URL").fill(f"{idp.base_url}/metadata")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base}/account/sso/{slug}/")
    page.get_by_role("button", name="Enable", exact=True).click()
    expect(page.get_by_role("button", name="Test sign-in", exact=True)).to_be_visible()
    page.goto(f"{base}/account/settings/")
    page.get_by_label("SSO group").select_option(label=f"Dev IdP ({slug})")
    page.get_by_label("Label").fill("dev IdP")
    page.get_by_role("button", name="Generate SCIM token").click()
    token = page.get_by_role("textbox", name="SCIM token").input_value()
    account_id = page.evaluate("fetch('/api/v1/session').then(r => r.json())")["account_id"]
    return Setup(base=base, idp=idp.base_url, account_id=account_id, slug=slug, token=token)


def scim(setup: Setup, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """One SCIM request over real HTTP with the bearer token, as JumpCloud (or `curl`) sends it."""
    request = urllib.request.Request(
        f"{setup.base}/api/v1/users/scim/v2{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {setup.token}", "Content-Type": "application/scim+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our live server)
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def scim_provision(setup: Setup, email: str = ALICE) -> str:
    status, user = scim(
        setup,
        "POST",
        "/Users",
        {
            "schemas": [SCIM_USER],
            "userName": email,
            "name": {"givenName": "Alice", "familyName": "Liddell"},
            "emails": [{"value": email, "primary": True, "type": "work"}],
            "active": True,
        },
    )
    assert status == 201, user
    return user["id"]


def scim_deactivate(setup: Setup, user_id: str) -> None:
    status, user = scim(
        setup,
        "PATCH",
        f"/Users/{user_id}",
        {"schemas": [SCIM_PATCH], "Operations": [{"op": "replace", "path": "active", "value": False}]},
    )
    assert (status, user.get("active")) == (200, False), user


def devidp_answer(page, *, email: str = ALICE, breakage: str | None = None, sign: str | None = None) -> None:
    """On the dev IdP's sign-in page: type the email, pick the options, press "Sign in"."""
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    page.get_by_label("Email").fill(email)
    if sign:
        page.get_by_label(sign).check()
    if breakage:
        page.get_by_label("Response to send").select_option(label=breakage)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sp_initiated_sign_in(page, setup: Setup, *, next_path: str, email: str = ALICE, **options) -> None:
    """From the app's /login: the email routes to the dev IdP, which posts back to the ACS."""
    page.goto(f"{setup.base}/login?next={next_path}")
    page.get_by_label("Email or username").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{setup.idp}/sso?*")
    devidp_answer(page, email=email, **options)


def session_json(page, base: str) -> tuple[int, dict]:
    """Load /api/v1/session in the tab, as the person would: (status, JSON)."""
    response = page.goto(f"{base}/api/v1/session")
    return response.status, response.json()
