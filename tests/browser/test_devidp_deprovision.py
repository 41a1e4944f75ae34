"""A user deactivated through SCIM (over HTTP, with the real token) is signed out on her next page
load, and neither /login nor the dev IdP's tile signs her in again."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from ssogroups.models import SSOLoginFailure
from tests.browser.devidp_flow import ALICE, scim_deactivate, scim_provision, session_json, sp_initiated_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_deactivated_user_is_signed_out_and_cannot_sign_in_again(devidp_setup, page, devidp):
    setup = devidp_setup
    user_id = scim_provision(setup)
    sp_initiated_sign_in(page, setup, next_path="/")
    page.wait_for_url(f"{setup.base}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Alice Liddell")

    scim_deactivate(setup, user_id)
    assert User.objects.get(username=ALICE).is_active is False

    page.reload()
    assert page.url == f"{setup.base}/login?next=/"
    assert session_json(page, setup.base) == (401, {"authenticated": False})

    # /login no longer routes her to the IdP: she is asked for a password she does not have.
    page.goto(f"{setup.base}/login")
    page.get_by_label("Email or username").fill(ALICE)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Password")).to_be_visible()
    assert page.url == f"{setup.base}/login"

    # The IdP still vouches for her from its tile; the app refuses.
    page.goto(f"{devidp.base_url}/")
    page.get_by_role("button", name=f"devidp (account {setup.account_id})").click()
    page.wait_for_url(f"{setup.base}/api/v1/users/saml/{setup.account_id}/devidp/consume")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in failed")
    failure = SSOLoginFailure.objects.get()
    assert (failure.reason, failure.name_id) == ("inactive_user", ALICE)
    assert page.locator("#reference").inner_text() == failure.reference
    assert session_json(page, setup.base) == (401, {"authenticated": False})
