"""A person signing in with a password in a real browser, and signing out again."""

import pytest

from accounts.users import account_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser pass 42"


def test_admin_signs_in_sees_dashboard_and_signs_out(live_server, page):
    account, admin = account_create(
        name="Demo", admin_email="admin@example.com", admin_password=PASSWORD, plan="enterprise"
    )
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/login?next=/"

    page.get_by_label("Email or username").fill("admin@example.com")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("That email/username and password did not match")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="Welcome, admin@example.com").is_visible()
    assert page.get_by_role("heading", level=1).inner_text() == "Set up single sign-on"
    session = page.evaluate("fetch('/api/v1/session').then(r => r.json())")
    assert session["authenticated"] is True
    assert session["account_id"] == account.pk

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/login")
    assert "You have been signed out." in page.content()
    assert page.evaluate("fetch('/api/v1/session').then(r => r.status)") == 401
