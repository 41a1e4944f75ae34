"""Encrypted assertions in a real browser: the admin requires them on the group form, a plain response
is then refused, and the dev IdP's "Encrypt the assertion" (to the certificate in our SP metadata)
signs the user in."""

import pytest
from playwright.sync_api import expect

from accounts.models import Event
from ssogroups.models import SSOGroup, SSOLoginFailure
from tests.browser.conftest import sign_in
from tests.browser.devidp_flow import ADMIN_EMAIL, ADMIN_PASSWORD, ALICE, scim_provision, session_json

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ENCRYPT = "Encrypt the assertion (to the certificate in the SP's metadata)"


def _screenshots(page, path_stem) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{path_stem}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _sign_in_through_devidp(page, setup, *, encrypt: bool) -> None:
    page.goto(f"{setup.base}/login?next=/api/v1/session")
    page.get_by_label("Email or username").fill(ALICE)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{setup.idp}/sso?*")
    page.get_by_label("Email").fill(ALICE)
    if encrypt:
        page.get_by_label(ENCRYPT).check()
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_required_encryption_refuses_plain_and_accepts_the_dev_idps_encrypted_assertion(
    devidp_setup, browser, page, tmp_path
):
    scim_provision(devidp_setup)
    admin = browser.new_context().new_page()
    sign_in(admin, devidp_setup.base, ADMIN_EMAIL, ADMIN_PASSWORD)
    admin.goto(f"{devidp_setup.base}/account/sso/devidp/edit")
    box = admin.get_by_label("Require encrypted assertions")
    expect(box).not_to_be_checked()
    box.check()
    _screenshots(admin, tmp_path / "edit")
    admin.get_by_role("button", name="Save").click()
    admin.wait_for_url(f"{devidp_setup.base}/account/sso/devidp/")
    expect(admin.locator("dd", has_text="Required")).to_be_visible()
    _screenshots(admin, tmp_path / "detail")
    assert SSOGroup.objects.get(slug="devidp").require_encrypted_assertions is True
    assert Event.objects.filter(event="sso_group_update", changes__require_encrypted_assertions=True).exists()

    _sign_in_through_devidp(page, devidp_setup, encrypt=False)
    expect(page.get_by_text("We could not sign you in with single sign-on.")).to_be_visible()
    assert SSOLoginFailure.objects.get().reason == "encryption_required"
    assert session_json(page, devidp_setup.base)[0] == 401

    _sign_in_through_devidp(page, devidp_setup, encrypt=True)
    page.wait_for_url(f"{devidp_setup.base}/api/v1/session")
    status, session = session_json(page, devidp_setup.base)
    assert (status, session["username"], session["auth_method"]) == (200, ALICE, "sso")
    _screenshots(page, tmp_path / "signed-in")
    print(f"screenshots: {tmp_path}")
