"""Sign-in through the dev IdP in a real browser, cross-site (app on localhost, IdP on 127.0.0.1):
a SCIM-provisioned user from /login lands on the page she asked for; the tile signs her in too."""

import pytest
from playwright.sync_api import expect

from accounts.models import Event
from tests.browser.devidp_flow import (
    ALICE,
    scim_provision,
    session_json,
    sp_initiated_sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sp_initiated_sign_in_lands_on_the_requested_next_page(devidp_setup, page):
    scim_provision(devidp_setup)
    page.goto(f"{devidp_setup.base}/")
    assert page.url == f"{devidp_setup.base}/login?next=/"

    sp_initiated_sign_in(page, devidp_setup, next_path="/api/v1/session")
    page.wait_for_url(f"{devidp_setup.base}/api/v1/session")
    status, session = session_json(page, devidp_setup.base)
    assert status == 200
    assert session == {
        "authenticated": True,
        "username": ALICE,
        "email": ALICE,
        "account_id": devidp_setup.account_id,
        "sso_group": "devidp",
        "auth_method": "sso",
        "role": "reporting",
    }
    event = Event.objects.get(event="sso_login_success")
    assert (event.target, event.outcome) == (ALICE, Event.Outcome.SUCCESS)


def test_idp_initiated_sign_in_from_the_tile(devidp_setup, page, devidp):
    scim_provision(devidp_setup)
    # A first SP-initiated sign-in is how the dev IdP learns about the app (and signs alice in to it).
    sp_initiated_sign_in(page, devidp_setup, next_path="/")
    page.wait_for_url(f"{devidp_setup.base}/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{devidp_setup.base}/login")
    assert session_json(page, devidp_setup.base)[0] == 401

    page.goto(f"{devidp.base_url}/")
    expect(page.get_by_text(f"Signed in to the dev IdP as {ALICE}")).to_be_visible()
    tile = page.get_by_role("button", name=f"devidp (account {devidp_setup.account_id})")
    tile.click()
    page.wait_for_url(f"{devidp_setup.base}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Alice Liddell")
    status, session = session_json(page, devidp_setup.base)
    assert (status, session["username"], session["auth_method"]) == (200, ALICE, "sso")
    # Two sign-ins: from /login, then from the tile.
    assert Event.objects.filter(event="sso_login_success").count() == 2
