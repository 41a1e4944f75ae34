"""Every privilege change on the users page needs a recent sign-in (issue 18): adding a user (she
gets a role), binding a user to an SSO group and unbinding her, deactivating. Without one the
admin is sent to confirm it is her, nothing is written and no event is recorded; with one, each
change goes through."""

from datetime import timedelta

import pytest

from accounts.models import Event, User
from accounts.reauth import AUTH_TIME_KEY, MSG_REAUTH
from sparksso import clock
from tests.conftest import force_recent_login

USERS_PAGE = "http://127.0.0.1:8000/account/users/"  # the Referer: the page that posted


@pytest.fixture
def now(monkeypatch):
    """A frozen clock the test can move: the recent-sign-in window is a time window."""
    state = {"now": clock.now()}
    monkeypatch.setattr("sparksso.clock.now", lambda: state["now"])
    return state


@pytest.fixture
def world(account, make_ssogroup, make_user):
    return {
        "group": make_ssogroup(account, slug="jumpcloud"),
        "bob": make_user(account, "bob@example.com"),
        "carol": make_user(account, "carol@example.com"),
    }


def actions(world) -> dict[str, tuple[str, dict]]:
    return {
        "add an admin": ("/account/users/", {"username": "mallory", "email": "m@example.com", "role": "admin"}),
        "add a reporting user": ("/account/users/", {"username": "rita", "role": "reporting"}),
        "bind": (f"/account/users/{world['bob'].pk}/bind", {"sso_group": world["group"].pk}),
        "unbind": (f"/account/users/{world['carol'].pk}/unbind", {}),
        "deactivate": (f"/account/users/{world['bob'].pk}/active", {"active": "false"}),
    }


EXPECTED_EVENT = {
    "add an admin": "user_create",
    "add a reporting user": "user_create",
    "bind": "user_bind",
    "unbind": "user_unbind",
    "deactivate": "user_deactivate",
}


def state() -> tuple:
    """Everything these actions could write."""
    users = User.objects.order_by("pk").values_list("username", "role", "is_active", "sso_group_id", "password")
    return Event.objects.count(), list(users)


def _stale(client, admin, now, settings, how: str) -> None:
    if how == "no sign-in time":  # e.g. a session from before the rule
        client.force_login(admin)
    else:  # a sign-in one second past the window
        force_recent_login(client, admin)
        now["now"] += timedelta(seconds=settings.REAUTH_MAX_AGE_SECONDS + 1)


@pytest.mark.parametrize("how", ["no sign-in time", "too old"])
@pytest.mark.parametrize("action", list(EXPECTED_EVENT))
def test_without_a_recent_sign_in_each_change_asks_to_confirm_and_writes_nothing(
    client, admin, world, now, settings, how, action
):
    world["carol"].sso_group = world["group"]  # someone to unbind
    world["carol"].save()
    _stale(client, admin, now, settings, how)
    path, data = actions(world)[action]
    before = state()

    response = client.post(path, data, HTTP_REFERER=USERS_PAGE)

    assert response.status_code == 302
    assert response["Location"] == "/account/reauth?next=%2Faccount%2Fusers%2F"
    assert state() == before
    assert not Event.objects.filter(event=EXPECTED_EVENT[action], actor=admin.username).exists()
    page = client.get(response["Location"])
    assert MSG_REAUTH in page.content.decode()


@pytest.mark.parametrize("action", list(EXPECTED_EVENT))
def test_with_a_recent_sign_in_each_change_goes_through(client, admin, world, now, action):
    world["carol"].sso_group = world["group"]
    world["carol"].save()
    force_recent_login(client, admin)
    path, data = actions(world)[action]

    response = client.post(path, data, HTTP_REFERER=USERS_PAGE)

    assert (response.status_code, response["Location"]) == (302, "/account/users/")
    assert Event.objects.filter(event=EXPECTED_EVENT[action], actor=admin.username).count() == 1
    bob, carol = User.objects.get(pk=world["bob"].pk), User.objects.get(pk=world["carol"].pk)
    if action == "add an admin":
        assert User.objects.get(account=admin.account, username="mallory").role == "admin"
    elif action == "bind":
        assert bob.sso_group_id == world["group"].pk
    elif action == "unbind":
        assert carol.sso_group_id is None
    elif action == "deactivate":
        assert bob.is_active is False


def test_a_refused_add_keeps_nothing_of_the_form_for_later(client, admin, world, now, settings):
    """After confirming, the admin fills the form again: the refused POST is not replayed."""
    client.force_login(admin)
    client.post("/account/users/", {"username": "mallory", "role": "admin"}, HTTP_REFERER=USERS_PAGE)
    session = client.session
    session[AUTH_TIME_KEY] = int(clock.now().timestamp())  # she confirmed
    session.save()
    assert client.get("/account/users/").status_code == 200
    assert not User.objects.filter(username="mallory").exists()
