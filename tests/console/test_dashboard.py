"""The dashboard's setup checklist follows the article's steps; SCIM-managed users are read-only."""

import re

import pytest

from accounts.events import event_record
from accounts.models import Event, User
from scim.tokens import scim_token_create
from tests.conftest import force_recent_login


@pytest.fixture
def admin_client(client, admin):
    force_recent_login(client, admin)  # deactivating a user needs a recent sign-in
    return client


def _states(html: str) -> list[str]:
    return re.findall(r'<span class="badge badge-\w+">(Done|To do)</span>', html)


def test_new_admin_sees_every_step_to_do_with_a_link(admin_client):
    html = admin_client.get("/").content.decode()
    assert "0 of 6 steps done." in html
    assert _states(html) == ["To do"] * 6
    assert 'href="/account/sso/new"' in html and 'href="/account/settings/"' in html


def test_steps_turn_done_as_the_setup_progresses(admin_client, account, admin, make_ssogroup, make_user):
    group = make_ssogroup(account, slug="jumpcloud", enabled=False)
    html = admin_client.get("/").content.decode()
    assert _states(html) == ["Done", "To do", "To do", "To do", "To do", "To do"]
    assert 'href="/account/sso/jumpcloud/#sp-values"' in html
    group.enabled = True
    group.save()
    event_record(account=account, event="sso_test_sign_in", changes={"group": "jumpcloud"})
    scim_token_create(account=account, sso_group=group, label="", created_by=admin)
    event_record(account=account, event="user_create_provision", target="bob@example.com")
    html = admin_client.get("/").content.decode()
    assert "6 of 6 steps done." in html


def test_a_failed_test_sign_in_is_not_a_passed_test(admin_client, account, make_ssogroup):
    make_ssogroup(account, slug="jumpcloud")
    event_record(account=account, event="sso_test_sign_in", outcome=Event.Outcome.FAILURE, reason="bad_signature")
    assert _states(admin_client.get("/").content.decode()) == ["Done", "Done", "Done", "To do", "To do", "To do"]


def test_non_admins_get_no_checklist(client, account, make_user):
    client.force_login(make_user(account, "dev@example.com"))
    html = client.get("/").content.decode()
    assert "Set up single sign-on" not in html


def test_scim_managed_users_are_read_only_and_say_by_whom(admin_client, account, admin, make_ssogroup, make_user):
    group = make_ssogroup(account, slug="jumpcloud")
    scim_token_create(account=account, sso_group=group, label="", created_by=admin)
    bob = make_user(account, "bob@example.com", sso_group=group)
    carol = make_user(account, "carol@example.com")
    html = admin_client.get("/account/users/").content.decode()
    assert f'id="managed-{bob.pk}">managed by {group.name} via SCIM' in html
    assert f'aria-label="Deactivate {carol.username}"' in html
    assert f'aria-label="Deactivate {bob.username}"' not in html
    assert f'aria-label="Emergency deactivate {bob.username}"' in html  # security stays with the admin
    admin_client.post(f"/account/users/{bob.pk}/active", {"active": "false"})
    bob.refresh_from_db()
    assert bob.is_active is False
    # Reactivating is the IdP's: refused, and nothing written.
    events = Event.objects.count()
    response = admin_client.post(f"/account/users/{bob.pk}/active", {"active": "true"}, follow=True)
    assert f"bob@example.com is managed by {group.name} via SCIM" in response.content.decode()
    bob.refresh_from_db()
    assert bob.is_active is False
    assert not Event.objects.filter(event="user_activate").exists()
    assert Event.objects.count() == events
    assert User.objects.get(pk=carol.pk).is_active is True


def test_the_test_sign_in_step_waits_for_an_enabled_group(admin_client, account, make_ssogroup):
    """Issue 24: the checklist sent the admin to a Test sign-in button a disabled group's page lacks."""
    from console.checklist import TEST_NEEDS_ENABLED, TEST_TODO

    group = make_ssogroup(account, enabled=False)
    html = admin_client.get("/").content.decode()
    assert TEST_NEEDS_ENABLED in html and TEST_TODO not in html
    assert ">Test sign-in<span" not in html
    group.enabled = True
    group.save(update_fields=["enabled"])
    html = admin_client.get("/").content.decode()
    assert TEST_TODO in html and ">Test sign-in<span" in html
