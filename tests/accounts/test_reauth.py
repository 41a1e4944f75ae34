"""Sensitive admin actions need a sign-in in the last REAUTH_MAX_AGE_SECONDS; a password admin
re-enters the password (an SSO admin's ForceAuthn round trip: tests/ssogroups/saml/test_reauth_sso.py)."""

from datetime import timedelta

import pytest

from accounts.models import Event, User
from accounts.reauth import AUTH_TIME_KEY, MSG_BAD_PASSWORD, MSG_REAUTH
from scim.models import ScimToken
from scim.tokens import scim_token_create
from sparksso import clock
from ssogroups.models import SSOGroup
from tests.conftest import force_recent_login

PASSWORD = "correct horse 42"


@pytest.fixture
def now(monkeypatch):
    """A frozen clock the test can move."""
    state = {"now": clock.now()}
    monkeypatch.setattr("sparksso.clock.now", lambda: state["now"])
    return state


@pytest.fixture
def world(account, admin, make_ssogroup, make_user):
    group = make_ssogroup(account, slug="jumpcloud")
    token, _ = scim_token_create(account=account, sso_group=group, label="t", created_by=admin, actor="setup")
    member = make_user(account, "bob@example.com")
    return {"group": group, "token": token, "member": member}


def actions(world) -> list[tuple[str, str, dict]]:
    return [
        (
            "POST",
            "/account/settings/scim-tokens/",
            {"sso_group": world["group"].pk, "label": "new", "form_id": "reauth-form-01-0123456789"},
        ),
        ("POST", f"/account/settings/scim-tokens/{world['token'].pk}/revoke", {}),
        ("GET", "/account/sso/jumpcloud/delete", {}),
        ("POST", "/account/sso/jumpcloud/delete", {"confirm": "on"}),
        ("POST", f"/account/users/{world['member'].pk}/active", {"active": "false"}),
    ]


def state() -> tuple:
    """Everything a sensitive action could change."""
    return (
        Event.objects.count(),
        ScimToken.objects.filter(revoked_at=None).count(),
        SSOGroup.objects.count(),
        User.objects.filter(is_active=True).count(),
    )


def do(client, method: str, path: str, data: dict, **headers):
    return client.post(path, data, **headers) if method == "POST" else client.get(path, **headers)


@pytest.mark.parametrize("index", range(5))
def test_without_a_recent_sign_in_each_action_asks_to_confirm_and_writes_nothing(client, admin, world, index):
    method, path, data = actions(world)[index]
    client.force_login(admin)  # a session with no recorded sign-in time (e.g. from before this rule)
    before = state()
    response = do(client, method, path, data, HTTP_REFERER="http://127.0.0.1:8000/account/settings/")
    assert response.status_code == 302
    expected_next = path if method == "GET" else "/account/settings/"
    assert response["Location"] == f"/account/reauth?next={expected_next.replace('/', '%2F')}"
    assert state() == before
    page = client.get(response["Location"])
    assert MSG_REAUTH in page.content.decode()
    assert 'name="password"' in page.content.decode()


def test_reactivating_a_user_needs_no_confirmation(client, admin, world):
    world["member"].is_active = False
    world["member"].save()
    client.force_login(admin)
    response = client.post(f"/account/users/{world['member'].pk}/active", {"active": "true"})
    assert response.status_code == 302 and response["Location"] == "/account/users/"
    assert User.objects.get(pk=world["member"].pk).is_active


def test_a_sign_in_older_than_the_setting_is_not_recent(client, admin, world, settings, now):
    settings.REAUTH_MAX_AGE_SECONDS = 600
    force_recent_login(client, admin)
    now["now"] += timedelta(seconds=600)
    assert (
        client.post(
            "/account/settings/scim-tokens/", {"sso_group": world["group"].pk, "form_id": "reauth-form-02-0123456789"}
        ).status_code
        == 201
    )
    now["now"] += timedelta(seconds=1)
    before = state()
    response = client.post(
        "/account/settings/scim-tokens/", {"sso_group": world["group"].pk, "form_id": "reauth-form-03-0123456789"}
    )
    assert response.status_code == 302 and response["Location"].startswith("/account/reauth?")
    assert state() == before
    settings.REAUTH_MAX_AGE_SECONDS = 3600  # the setting, not a constant, decides
    assert (
        client.post(
            "/account/settings/scim-tokens/", {"sso_group": world["group"].pk, "form_id": "reauth-form-04-0123456789"}
        ).status_code
        == 201
    )


def test_password_sign_in_records_the_time(client, admin, world, now):
    client.post("/login", {"identifier": admin.email, "password": PASSWORD})
    assert client.session[AUTH_TIME_KEY] == int(now["now"].timestamp())
    assert (
        client.post(
            "/account/settings/scim-tokens/", {"sso_group": world["group"].pk, "form_id": "reauth-form-05-0123456789"}
        ).status_code
        == 201
    )


def test_re_entering_the_password_allows_the_action(client, admin, world, now):
    client.force_login(admin)
    next_path = "/account/settings/"
    wrong = client.post("/account/reauth", {"password": "nope", "next": next_path})
    assert wrong.status_code == 401
    assert MSG_BAD_PASSWORD in wrong.content.decode()
    assert AUTH_TIME_KEY not in client.session
    failure = Event.objects.filter(event="reauth_failure").values_list("actor", "outcome", "reason", "changes")
    assert list(failure) == [(admin.username, "failure", "bad credentials", {"method": "password"})]

    before = Event.objects.count()
    right = client.post("/account/reauth", {"password": PASSWORD, "next": next_path})
    assert right.status_code == 302 and right["Location"] == next_path
    assert client.session[AUTH_TIME_KEY] == int(now["now"].timestamp())
    assert list(Event.objects.values_list("event", "actor")[before:]) == [("reauth_success", admin.username)]
    revoke = f"/account/settings/scim-tokens/{world['token'].pk}/revoke"
    assert client.post(revoke, {"confirm": "revoke"}).status_code == 302
    assert ScimToken.objects.get(pk=world["token"].pk).revoked_at is not None


def test_reauth_failures_are_throttled(client, admin, settings, now):
    settings.LOGIN_FAILURE_LIMIT = 2
    client.force_login(admin)
    for _ in range(2):
        assert client.post("/account/reauth", {"password": "nope"}).status_code == 401
    throttled = client.post("/account/reauth", {"password": PASSWORD})
    assert throttled.status_code == 429
    assert AUTH_TIME_KEY not in client.session
    assert client.post("/account/reauth", {"password": PASSWORD}).status_code == 429
    assert Event.objects.filter(event="reauth_failure", reason="throttled").count() == 1  # one per window


def test_a_foreign_referer_is_not_a_place_to_return_to(client, admin, world):
    client.force_login(admin)
    response = client.post(
        f"/account/users/{world['member'].pk}/active", {"active": "false"}, HTTP_REFERER="https://evil.example/x"
    )
    assert response["Location"] == "/account/reauth?next=%2F"
