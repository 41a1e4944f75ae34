"""A deliberately broken response from the dev IdP: the user sees the reference page, the admin
sees the precise reason on the group's sign-in diagnostics page, under the same reference."""

import pytest
from playwright.sync_api import expect

from ssogroups.models import SSOLoginFailure
from tests.browser.conftest import sign_in
from tests.browser.devidp_flow import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ALICE,
    scim_provision,
    session_json,
    sp_initiated_sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_broken_response_shows_the_user_a_reference_and_the_admin_the_reason(devidp_setup, page, browser):
    setup = devidp_setup
    scim_provision(setup)
    sp_initiated_sign_in(page, setup, next_path="/", breakage="Wrong audience")
    page.wait_for_url(f"{setup.base}/api/v1/users/saml/{setup.account_id}/devidp/consume")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in failed")
    reference = page.locator("#reference").inner_text()
    # The user is told nothing about audiences: that is for the admin.
    assert "audience" not in page.content().lower()
    assert session_json(page, setup.base) == (401, {"authenticated": False})

    admin = browser.new_context().new_page()
    sign_in(admin, setup.base, ADMIN_EMAIL, ADMIN_PASSWORD)
    admin.goto(f"{setup.base}/account/sso/devidp/")
    admin.get_by_role("link", name="Sign-in diagnostics").click()
    admin.wait_for_url(setup.failures_url)
    row = admin.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("The assertion's Audience is not this group's SP entity ID.")
    expect(row).to_contain_text("wrong_audience")
    expect(row).to_contain_text(ALICE)
    expect(row).to_contain_text(f"{setup.idp}/metadata")
    assert SSOLoginFailure.objects.get().reason == "wrong_audience"
    admin.context.close()
