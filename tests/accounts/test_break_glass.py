"""SSO and password sign-in are exclusive, and every account keeps a break-glass admin (issue #8)."""

import json
from io import StringIO

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils.html import escape

from accounts.login_throttle import failure_target
from accounts.models import Event, User
from accounts.users import MSG_LAST_ADMIN, user_delete, user_update
from accounts.views import MSG_BAD_CREDENTIALS
from ssogroups.managed import user_bind
from tests.conftest import force_recent_login

PASSWORD = "correct horse 42"


def sign_in(client, identifier, password=PASSWORD):
    return client.post("/login", {"identifier": identifier, "password": password})


def state(user: User) -> tuple:
    user.refresh_from_db()
    return (user.is_active, user.role, user.sso_group_id, user.password)


@pytest.fixture
def group(account, make_ssogroup):
    return make_ssogroup(account, slug="jumpcloud")


def test_a_managed_user_never_signs_in_with_a_password_even_one_set_before(client, account, make_user, group):
    bob = make_user(account, "bob@example.com", password=PASSWORD)
    User.objects.filter(pk=bob.pk).update(sso_group=group)  # a legacy row: managed, yet a usable hash
    assert User.objects.get(pk=bob.pk).check_password(PASSWORD)
    wrong = sign_in(client, "nobody@example.com", "wrong password")

    response = sign_in(client, "bob@example.com")

    assert response.status_code == wrong.status_code == 401
    assert MSG_BAD_CREDENTIALS in response.content.decode()
    assert client.get("/api/v1/session").status_code == 401
    failures = Event.objects.filter(event="password_login_failure").order_by("id")
    assert [(e.target, e.reason) for e in failures] == [
        (failure_target("nobody@example.com", known=False), "bad credentials"),  # names no user: a digest
        ("bob@example.com", "bad credentials"),
    ]


def test_binding_removes_the_password_and_ends_the_sessions(client, account, make_user, group, admin):
    carol = make_user(account, "carol@example.com", password=PASSWORD)
    assert sign_in(client, "carol@example.com").status_code == 302

    user_bind(user=carol, group=group, actor=admin.username)

    carol.refresh_from_db()
    assert (carol.sso_group_id, carol.has_usable_password()) == (group.pk, False)
    assert client.get("/api/v1/session").status_code == 401
    event = Event.objects.get(event="user_bind")
    assert (event.actor, event.target, event.changes) == (
        admin.username,
        "carol@example.com",
        {"sso_group": "jumpcloud", "password_removed": True},
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda admin, group: user_update(user=admin, is_active=False),
        lambda admin, group: user_update(user=admin, role="reporting"),
        lambda admin, group: user_delete(user=admin),
        lambda admin, group: user_bind(user=admin, group=group, actor="x"),
    ],
    ids=["deactivate", "demote", "delete", "bind"],
)
def test_the_last_break_glass_admin_is_kept_by_the_services(admin, group, change):
    before, events = state(admin), Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        change(admin, group)
    assert exc.value.messages == [MSG_LAST_ADMIN.format(username=admin.username)]
    assert state(admin) == before
    assert Event.objects.count() == events


def test_an_admin_without_a_password_is_no_break_glass_account(account, admin, make_user, group):
    make_user(account, "sso-admin@example.com", role="admin", sso_group=group)
    make_user(account, "no-password-admin@example.com", role="admin")
    with pytest.raises(ValidationError) as exc:
        user_update(user=admin, is_active=False)
    assert exc.value.messages == [MSG_LAST_ADMIN.format(username=admin.username)]

    make_user(account, "deputy@example.com", role="admin", password="another horse 43")
    user_update(user=admin, is_active=False)
    assert state(admin)[0] is False


def test_the_last_break_glass_admin_is_kept_on_the_users_page(client, admin, group):
    other = User.objects.create(account=admin.account, username="second", role="admin")  # no password
    force_recent_login(client, other)  # deactivating needs a recent sign-in (accounts.reauth)
    before = state(admin)

    deactivate = client.post(f"/account/users/{admin.pk}/active", {"active": "false"}, follow=True)
    bind = client.post(f"/account/users/{admin.pk}/bind", {"sso_group": group.pk}, follow=True)

    for response in (deactivate, bind):
        assert response.status_code == 200
        assert escape(MSG_LAST_ADMIN.format(username=admin.username)) in response.content.decode()
    assert state(admin) == before
    assert not Event.objects.filter(event__in=["user_deactivate", "user_bind"]).exists()


def test_the_last_break_glass_admin_is_kept_by_the_command(admin, group):
    before = state(admin)
    with pytest.raises(CommandError) as exc:
        call_command(
            "ssogroup_bind_user", "--account", str(admin.account_id), "--user", admin.email, "--group", "jumpcloud"
        )
    assert str(exc.value) == MSG_LAST_ADMIN.format(username=admin.username)
    assert state(admin) == before


def test_the_command_binds_and_unbinds(account, make_user, group):
    make_user(account, "dave@example.com", password=PASSWORD)
    out = StringIO()
    call_command("ssogroup_bind_user", "--account", str(account.pk), "--user", "DAVE@example.com", "--group",
                 "jumpcloud", stdout=out)  # fmt: skip
    assert json.loads(out.getvalue()) == {"username": "dave@example.com", "sso_group": "jumpcloud"}
    dave = User.objects.get(username="dave@example.com")
    assert (dave.sso_group_id, dave.has_usable_password()) == (group.pk, False)

    out = StringIO()
    call_command(
        "ssogroup_bind_user", "--account", str(account.pk), "--user", "dave@example.com", "--unbind", stdout=out
    )
    assert json.loads(out.getvalue()) == {"username": "dave@example.com", "sso_group": None}
    assert [e.event for e in Event.objects.filter(target="dave@example.com").order_by("id")][-2:] == [
        "user_bind",
        "user_unbind",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody@example.com", "--group", "jumpcloud"], "No single user 'nobody@example.com' in account"),
        (["--user", "dave@example.com", "--group", "nope"], "No SSO group 'nope' in account"),
        (["--user", "dave@example.com"], "Give exactly one of --group SLUG or --unbind."),
    ],
)
def test_the_command_refuses_bad_input_and_writes_nothing(account, make_user, group, args, message):
    make_user(account, "dave@example.com")
    events = Event.objects.count()
    with pytest.raises(CommandError) as exc:
        call_command("ssogroup_bind_user", "--account", str(account.pk), *args)
    assert message in str(exc.value)
    assert Event.objects.count() == events
    assert User.objects.get(username="dave@example.com").sso_group_id is None


def test_a_group_of_another_account_cannot_be_chosen_on_the_users_page(client, admin, make_user, make_account,
                                                                        make_ssogroup):  # fmt: skip
    foreign_group = make_ssogroup(make_account()[0])
    erin = make_user(admin.account, "erin@example.com")
    force_recent_login(client, admin)  # binding needs a recent sign-in
    response = client.post(f"/account/users/{erin.pk}/bind", {"sso_group": foreign_group.pk}, follow=True)
    assert "Choose an SSO group of this account." in response.content.decode()
    assert User.objects.get(pk=erin.pk).sso_group_id is None


def test_a_password_sign_in_of_an_admin_records_break_glass_when_sso_is_on(client, admin, group):
    assert sign_in(client, admin.email).status_code == 302
    assert Event.objects.filter(event="break_glass_sign_in", actor=admin.username).count() == 1

    group.enabled = False
    group.save()
    client.post("/logout")
    assert sign_in(client, admin.email).status_code == 302
    assert Event.objects.filter(event="break_glass_sign_in").count() == 1  # no enabled SSO group: not break-glass


def test_a_managed_user_cannot_be_given_a_password(account, make_user, group):
    from accounts.users import user_set_password

    frank = make_user(account, "frank@example.com", sso_group=group)
    with pytest.raises(ValidationError) as exc:
        user_set_password(user=frank, password=make_password("x"))
    assert exc.value.messages == ["frank@example.com signs in through an SSO group and cannot have a password."]
    assert not User.objects.get(pk=frank.pk).has_usable_password()
