"""Prepared queries: compiled once, they return exactly what the ORM returns for the same query.

They run on the hot paths (the SCIM token, a sign-in's group, user and certificates), so the rows
must be the ORM's to the value and type (datetimes, UUIDs, JSON, booleans), on SQLite and on
PostgreSQL, and a lookup that would change its argument on the way to SQL must be refused when the
query is compiled, not run with a wrong argument.
"""

import pytest
from django.db import connection
from django.db.models import Value
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, User
from accounts.selectors import username_is
from sparksso.prepared import Prepared, columns, instances


def _user_by_name(account_id: int, name: str):
    return User.objects.filter(account_id=account_id).filter(username_is(name)).values_list(*columns(User))


@pytest.fixture
def people(account, make_user):
    return [
        make_user(account, "Ann@Example.com", first_name="Ann", is_active=False, scim_attributes={"nickName": "a"}),
        make_user(account, "bob@example.com", last_name="Builder"),
    ]


def test_rows_are_the_orms_rows_value_for_value_and_type(account, people):
    prepared = Prepared(_user_by_name, int, str)
    for name in ("ann@example.COM", "bob@example.com", "nobody@example.com"):
        expected = list(_user_by_name(account.pk, name))
        got = prepared(account.pk, name)
        assert got == expected
        assert [tuple(map(type, row)) for row in got] == [tuple(map(type, row)) for row in expected]
    (row,) = prepared(account.pk, "ann@example.com")
    (ann,) = instances(row, User)
    assert (ann.pk, ann.username, ann.is_active, ann.scim_attributes) == (
        people[0].pk, "Ann@Example.com", False, {"nickName": "a"},
    )  # fmt: skip
    assert (ann.scim_id, ann.created_at) == (people[0].scim_id, people[0].created_at)
    assert not ann._state.adding  # a saved row: saving it again updates, never inserts


def test_it_is_compiled_once_and_then_only_executed(account, people):
    built = []

    def build(account_id: int, name: str):
        built.append((account_id, name))
        return _user_by_name(account_id, name)

    prepared = Prepared(build, int, str)
    assert prepared(account.pk, "bob@example.com")
    with CaptureQueriesContext(connection) as queries:
        assert prepared(account.pk, "ann@example.com")
        assert prepared(account.pk + 1000, "ann@example.com") == []  # another account: not found
    assert len(built) == 1  # built with the markers, once
    assert len(queries.captured_queries) == 2


def test_rows_across_a_join_rebuild_each_model(account, people):
    prepared = Prepared(
        lambda user_id: User.objects.filter(pk=user_id).values_list(*columns(User), *columns(Account, "account__")),
        int,
    )
    user, owner = instances(prepared(people[1].pk)[0], User, Account)
    assert (user.username, user.last_name, owner.pk, owner.name, owner.plan) == (
        "bob@example.com", "Builder", account.pk, account.name, account.plan,
    )  # fmt: skip


@pytest.mark.parametrize(
    "build",
    [
        lambda text: User.objects.filter(username__icontains=text).values_list("pk"),  # the ORM wraps it in %
        lambda text: User.objects.filter(username=text.lower()).values_list("pk"),  # the builder lowers it
    ],
)
def test_a_query_that_rewrites_its_argument_is_refused_at_compile_time(db, build):
    prepared = Prepared(build, str)
    with pytest.raises(ValueError, match="rewrites its argument"):
        prepared("Ann")


def test_only_values_list_querysets_and_used_arguments(db):
    with pytest.raises(TypeError, match="values_list"):
        Prepared(lambda name: User.objects.filter(username=name), str)("x")
    with pytest.raises(ValueError, match="every argument"):
        Prepared(lambda a, b: User.objects.filter(pk=a).values_list("pk"), int, int)(1, 2)
    with pytest.raises(TypeError, match="int or str"):
        Prepared(lambda when: User.objects.filter(created_at=when).values_list("pk"), float)(1.0)


def test_expression_arguments_reach_the_sql_unchanged(account, people):
    prepared = Prepared(
        lambda account_id, name: (
            User.objects.annotate(name_lower=Lower("username"))
            .filter(account_id=account_id, name_lower=Lower(Value(name)))
            .values_list("username", flat=False)
        ),
        int,
        str,
    )
    assert prepared(account.pk, "ANN@example.com") == [("Ann@Example.com",)]
