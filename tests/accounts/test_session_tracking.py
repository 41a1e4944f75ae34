"""Every signed-in session is tracked, so deactivation ends it (issue 25: "Every session tracked").

Switching users on one browser makes login() flush the old session; the flushed session has no key
when ``user_logged_in`` fires. It must still be recorded, or deactivating the new user leaves her
session alive, to come back when she is reactivated.
"""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.models import UserSession
from accounts.users import user_update

PASSWORD = "correct horse 42"


def _sign_in(browser: Client, identifier: str) -> None:
    response = browser.post("/login", {"identifier": identifier, "password": PASSWORD})
    assert response.status_code == 302, response.content


def _whoami(browser: Client) -> str | None:
    response = browser.get("/api/v1/session")
    return response.json().get("username") if response.status_code == 200 else None


@pytest.mark.django_db
def test_switch_user_session_is_tracked_and_ended_by_deactivation(admin, make_user):
    b = make_user(admin.account, "bea@example.com", password=PASSWORD)
    browser = Client()
    _sign_in(browser, admin.username)
    first_key = browser.cookies["sessionid"].value
    _sign_in(browser, b.username)  # same browser, now as someone else: login() flushes
    key = browser.cookies["sessionid"].value
    assert key != first_key and _whoami(browser) == b.username
    assert UserSession.objects.filter(session_key=key, user=b).exists()

    user_update(user=b, actor="admin", is_active=False)
    assert not Session.objects.filter(session_key=key).exists()
    assert _whoami(browser) is None

    user_update(user=b, actor="admin", is_active=True)
    assert _whoami(browser) is None  # the old session does not come back with her
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.django_db
def test_signing_in_again_as_the_same_user_keeps_one_tracked_session(admin):
    browser = Client()
    _sign_in(browser, admin.username)
    _sign_in(browser, admin.username)
    key = browser.cookies["sessionid"].value
    assert list(UserSession.objects.filter(user=admin).values_list("session_key", flat=True)) == [key]
