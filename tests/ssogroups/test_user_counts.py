"""The per-group user count (SCIM's unfiltered totalResults) stays exact through every writer:
the services, a bulk import, a bind and an unbind, a deleted group, a deleted account; on SQLite
and PostgreSQL, and under concurrent SCIM creates (PostgreSQL)."""

import threading

import pytest
from django.db import connection
from django.db.models import Count
from django.test import Client

from accounts.models import Account, User
from accounts.user_import import NewUser, users_import
from accounts.users import user_create, user_delete, user_update
from scim.tokens import scim_token_create
from ssogroups.managed import user_bind, user_unbind
from ssogroups.models import SSOGroup, SSOGroupUserCount
from ssogroups.services import ssogroup_delete
from ssogroups.user_counts import (
    sso_group_user_count,
    user_count_triggers,
    user_counts_ensure,
    user_counts_install,
)

BASE = "/api/v1/users/scim/v2"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def _assert_exact() -> None:
    """Every group's maintained count is what COUNT(*) says, and no group has a stale one."""
    actual = dict(
        User.objects.exclude(sso_group=None).values("sso_group").annotate(n=Count("pk")).values_list("sso_group", "n")
    )
    for group in SSOGroup.objects.all():
        assert sso_group_user_count(sso_group_id=group.pk) == actual.get(group.pk, 0), group.slug
    assert not SSOGroupUserCount.objects.exclude(sso_group__in=SSOGroup.objects.all()).exists()


@pytest.fixture
def groups(account, make_ssogroup):
    return make_ssogroup(account, slug="one"), make_ssogroup(account, slug="two")


def test_every_writer_keeps_the_count_exact(account, groups, make_user):
    one, two = groups
    users = [user_create(account=account, username=f"u{k}@example.com", sso_group=one) for k in range(3)]
    users_import(account=account, people=[NewUser(username=f"b{k}@example.com") for k in range(5)], sso_group=two)
    _assert_exact()
    assert (sso_group_user_count(sso_group_id=one.pk), sso_group_user_count(sso_group_id=two.pk)) == (3, 5)

    user_update(user=users[0], is_active=False)  # deactivated users stay in the group's list
    assert sso_group_user_count(sso_group_id=one.pk) == 3
    user_delete(user=users[1])
    password_user = make_user(account, "pat@example.com")
    user_bind(user=password_user, group=one, actor="admin")
    user_unbind(user=users[2], actor="admin")
    moved = user_unbind(user=User.objects.get(username="b0@example.com"), actor="admin")
    user_bind(user=moved, group=one, actor="admin")
    _assert_exact()
    assert (sso_group_user_count(sso_group_id=one.pk), sso_group_user_count(sso_group_id=two.pk)) == (3, 4)

    User.objects.filter(sso_group=two).update(first_name="Same")  # an update that moves nobody
    ssogroup_delete(group=one, actor="admin")  # its users become password users (SET NULL)
    _assert_exact()
    assert User.objects.filter(username="pat@example.com", sso_group=None).exists()
    two.account.delete()
    assert not SSOGroupUserCount.objects.exists()


def test_a_group_without_users_counts_zero(groups):
    assert sso_group_user_count(sso_group_id=groups[0].pk) == 0


def test_install_fills_the_counts_of_existing_users(account, groups):
    """What the migration's data step does: the counts of users that existed before the triggers."""
    users_import(account=account, people=[NewUser(username=f"b{k}@example.com") for k in range(4)], sso_group=groups[0])
    SSOGroupUserCount.objects.all().delete()
    assert sso_group_user_count(sso_group_id=groups[0].pk) == 0
    user_counts_install(connection)
    _assert_exact()
    assert sso_group_user_count(sso_group_id=groups[0].pk) == 4


def test_a_dropped_trigger_is_restored_and_the_counts_recounted(account, groups):
    """SQLite drops a table's triggers when a migration rebuilds it: post_migrate puts them back."""
    assert user_counts_ensure(connection) is False  # all there: nothing to do, nothing recounted
    name = "ssogroups_user_count_insert"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {name}" + ("" if connection.vendor == "sqlite" else " ON accounts_user"))
    user_create(account=account, username="unseen@example.com", sso_group=groups[0])  # not counted
    assert sso_group_user_count(sso_group_id=groups[0].pk) == 0
    assert user_counts_ensure(connection) is True
    assert name in user_count_triggers(connection)
    _assert_exact()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_scim_creates_and_deletes_leave_the_count_exact(make_account, make_ssogroup):
    """Eight workers create at once, and delete some, through the real SCIM endpoint: no lost update."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to lose")
    account, admin = make_account(plan=Account.Plan.ENTERPRISE)
    group = make_ssogroup(account)
    _, token = scim_token_create(account=account, sso_group=group, label="race", created_by=admin)
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def work(worker: int) -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        barrier.wait()
        try:
            for k in range(6):
                body = {"schemas": [USER_SCHEMA], "userName": f"w{worker}-{k}@example.com"}
                response = client.post(f"{BASE}/Users", body, content_type="application/scim+json")
                statuses.append(response.status_code)
                if k % 3 == 0 and response.status_code == 201:
                    statuses.append(client.delete(f"{BASE}/Users/{response.json()['id']}").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(statuses)) == [201, 204]
    assert statuses.count(201) == 48 and statuses.count(204) == 16
    assert sso_group_user_count(sso_group_id=group.pk) == User.objects.filter(sso_group=group).count() == 32
    _assert_exact()
