"""Password sign-in, sign-out, throttling, deactivation ending sessions, the session JSON."""

import pytest
from django.contrib.sessions.models import Session

from accounts.models import Event, UserSession
from accounts.templatetags.ident import ident
from accounts.users import user_create
from accounts.views import MSG_BAD_CREDENTIALS, MSG_THROTTLED
from sparksso import clock

PASSWORD = "correct horse 42"


def sign_in(client, identifier, password=PASSWORD, **extra):
    return client.post("/login", {"identifier": identifier, "password": password, **extra})


def test_login_page_asks_for_the_identifier_first(client, db):
    page = client.get("/login")
    assert page.status_code == 200
    assert b'name="identifier"' in page.content
    assert b'name="password"' not in page.content

    step_two = client.post("/login", {"identifier": "someone@example.com"})
    assert step_two.status_code == 200
    assert b'name="password"' in step_two.content


def test_unknown_and_known_identifiers_look_the_same(client, admin):
    """No account enumeration: the password step appears whether or not the name exists."""
    known = client.post("/login", {"identifier": admin.email})
    unknown = client.post("/login", {"identifier": "nobody@example.com"})
    strip = lambda r: r.content.replace(admin.email.encode(), b"X").replace(b"nobody@example.com", b"X")  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert (
        strip(known).split(b'name="csrfmiddlewaretoken"')[0] == strip(unknown).split(b'name="csrfmiddlewaretoken"')[0]
    )


def test_admin_signs_in_with_password_and_session_api_describes_it(client, admin):
    response = sign_in(client, admin.email.upper())
    assert response.status_code == 302
    assert response["Location"] == "/"
    data = client.get("/api/v1/session").json()
    assert data == {
        "authenticated": True,
        "username": admin.username,
        "email": admin.email,
        "account_id": admin.account_id,
        "sso_group": None,
        "auth_method": "password",
        "role": "admin",
    }
    assert Event.objects.filter(event="password_login_success", actor=admin.username).count() == 1
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    # Shown as an identifier (wrapping only at its separators), as every page shows addresses.
    assert ident(admin.email).encode() in dashboard.content


def test_session_api_signed_out(client, db):
    response = client.get("/api/v1/session")
    assert response.status_code == 401
    assert response.json() == {"authenticated": False}


def test_wrong_password_is_refused_with_a_message_and_no_session(client, admin):
    response = sign_in(client, admin.email, "wrong password")
    assert response.status_code == 401
    assert MSG_BAD_CREDENTIALS in response.content.decode()
    assert client.get("/api/v1/session").status_code == 401
    assert Session.objects.count() == 0
    failure = Event.objects.get(event="password_login_failure")
    assert (failure.outcome, failure.reason, failure.target) == ("failure", "bad credentials", admin.email)


def test_inactive_user_cannot_sign_in(client, account):
    user_create(
        account=account, username="ivy@example.com", email="ivy@example.com", password=PASSWORD, is_active=False
    )
    response = sign_in(client, "ivy@example.com")
    assert response.status_code == 401
    assert MSG_BAD_CREDENTIALS in response.content.decode()
    assert client.get("/api/v1/session").status_code == 401


def test_user_without_password_cannot_sign_in_with_any_password(client, account):
    user_create(account=account, username="sso-only@example.com", email="sso-only@example.com")
    assert sign_in(client, "sso-only@example.com", "").status_code == 200  # just the identifier step
    assert sign_in(client, "sso-only@example.com", "!").status_code == 401


def test_same_identifier_in_two_accounts_signs_in_the_one_whose_password_matches(client, account, make_account):
    other, _ = make_account()
    user_create(account=account, username="shared", password="first password 1")
    mine = user_create(account=other, username="shared", password="second password 2")
    assert sign_in(client, "shared", "second password 2").status_code == 302
    assert client.get("/api/v1/session").json()["account_id"] == mine.account_id


@pytest.fixture
def frozen(monkeypatch):
    """Pin our clock: a throttle window's boundary cannot fall mid-test."""
    moment = clock.now()
    monkeypatch.setattr("sparksso.clock.now", lambda: moment)
    return moment


def test_failed_attempts_are_throttled(client, admin, settings, frozen):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert sign_in(client, admin.email, "nope").status_code == 401
    throttled = sign_in(client, admin.email)  # even the right password waits now
    assert throttled.status_code == 429
    assert MSG_THROTTLED in throttled.content.decode()
    assert client.get("/api/v1/session").status_code == 401
    assert Event.objects.filter(event="password_login_failure", reason="throttled").count() == 1


def test_sign_in_rotates_the_session_key(client, admin):
    client.get("/login")
    client.cookies["sessionid"] = "attacker-chosen-key"
    sign_in(client, admin.email)
    assert client.cookies["sessionid"].value != "attacker-chosen-key"


@pytest.mark.parametrize(
    "next_value", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_next_never_leaves_our_origin(client, admin, next_value):
    response = sign_in(client, admin.email, next=next_value)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_next_to_a_local_path_is_honoured(client, admin):
    response = sign_in(client, admin.email, next="/account/events/?event=x")
    assert response["Location"] == "/account/events/?event=x"


def test_logout_requires_post_and_clears_the_session(client, admin):
    sign_in(client, admin.email)
    assert client.get("/logout").status_code == 200  # a confirmation page, not a sign-out
    assert client.get("/api/v1/session").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/api/v1/session").status_code == 401
    assert UserSession.objects.count() == 0


def test_forms_are_csrf_protected(admin):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/login", {"identifier": admin.email, "password": PASSWORD})
    assert response.status_code == 403
    assert strict.get("/api/v1/session").status_code == 401
