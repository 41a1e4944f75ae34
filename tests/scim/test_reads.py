"""Reads write nothing and cost a constant number of queries, whatever the account's size.

A lookup or a list page that answers records no event (JumpCloud's Directory Insights logs
``user_lookup_provision`` only when a lookup fails) and the token's ``last_used_at`` is written at
most once a minute. The token, the users and their emails and groups come in a fixed number of
queries: a lookup never counts, a page of 100 costs what a page of 3 does.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Event, User
from accounts.user_import import NewUser, users_import
from scim.models import ScimToken
from scim.query import filtered, list_params
from scim.resource_types import USER
from scim.users import users_of
from sparksso import clock
from tests.scim.conftest import USER_SCHEMA

WRITES = ("INSERT", "UPDATE", "DELETE")
LOOKUPS = [
    {"filter": 'userName eq "u1@example.com"'},
    {"filter": 'emails[value eq "u2@example.com"]'},
    {"filter": 'userName eq "nobody@example.com"'},  # JumpCloud's check before a create: found nothing
    {"startIndex": "1", "count": "100"},
    {"startIndex": "3", "count": "2"},
]


def _people(scim, n: int) -> list[dict]:
    created = [scim.create_user(f"u{k}@example.com", emails=[{"value": f"u{k}@example.com"}]) for k in range(n)]
    scim.create_group("Ops", members=[created[0]["id"], created[1]["id"]])
    return created


def _used_just_now(scim) -> None:
    ScimToken.objects.filter(pk=scim.token_obj.pk).update(last_used_at=clock.now())


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]


@pytest.mark.plans
@pytest.mark.parametrize("params", LOOKUPS)
def test_lookups_and_pages_write_nothing(scim, params):
    people = _people(scim, 4)
    _used_just_now(scim)
    events = Event.objects.count()
    with CaptureQueriesContext(connection) as queries:
        response = scim.get("/Users", params)
        member = scim.get(f"/Users/{people[3]['id']}")
    assert (response.status_code, member.status_code) == (200, 200)
    assert _writes(queries) == []
    assert Event.objects.count() == events


@pytest.mark.plans
def test_a_failed_lookup_records_its_event_and_nothing_else(scim):
    _used_just_now(scim)
    with CaptureQueriesContext(connection) as queries:
        response = scim.get("/Users", {"filter": 'userName zz "x"'})
    assert response.status_code == 400
    assert [w.split()[2] for w in _writes(queries)] == ['"accounts_event"']
    event = Event.objects.get(event="user_lookup_provision")
    assert (event.outcome, event.target) == (Event.Outcome.FAILURE, 'userName zz "x"')


@pytest.mark.plans
def test_last_used_at_is_written_at_most_once_a_minute(scim, monkeypatch):
    start = timezone.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    scim.get("/Users")
    assert ScimToken.objects.get(pk=scim.token_obj.pk).last_used_at == start
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(seconds=59))
    with CaptureQueriesContext(connection) as queries:
        scim.get("/Users")
    assert _writes(queries) == []
    later = start + timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    scim.get("/Users")
    assert ScimToken.objects.get(pk=scim.token_obj.pk).last_used_at == later


@pytest.mark.parametrize("users", [3, 120])
def test_a_page_of_users_with_emails_and_groups_costs_a_fixed_number_of_queries(
    scim, users, django_assert_max_num_queries
):
    _people(scim, users)
    _used_just_now(scim)
    # token, the page's users (their keys a subquery), emails, memberships, COUNT (a full page only)
    with django_assert_max_num_queries(5):
        page = scim.get("/Users", {"startIndex": "1", "count": "100"}).json()
    assert page["itemsPerPage"] == min(100, users)  # the group's users (the account's admin is not one)
    assert any(r.get("groups") for r in page["Resources"]) or users > 100


@pytest.mark.plans
def test_a_lookup_never_counts(scim, django_assert_max_num_queries):
    _people(scim, 3)
    _used_just_now(scim)
    with CaptureQueriesContext(connection) as queries:
        found = scim.get("/Users", {"filter": 'userName eq "u1@example.com"'}).json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["groups"][0]["display"] == "Ops"
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(queries.captured_queries) <= 4  # token, user, emails, groups


@pytest.mark.plans
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan; PostgreSQL's depends on table statistics")
def test_a_pages_keys_come_from_the_list_order_index(scim):
    queryset = filtered(users_of(scim.group), USER, list_params({}))
    plan = queryset.prefetch_related(None).values_list("pk", flat=True)[500:600].explain()
    assert "accounts_user_list_order" in plan
    assert "TEMP B-TREE" not in plan  # no sort of the whole account


CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT")


@pytest.mark.plans
def test_a_create_writes_its_rows_without_asking_first(scim):
    """The username's uniqueness is the database constraint's to decide (it also settles a race):
    a create sends no existence check, and answers from what it wrote, reading nothing back."""
    _used_just_now(scim)
    with CaptureQueriesContext(connection) as queries:
        created = scim.create_user("new@example.com", emails=[{"value": "new@example.com", "primary": True}])
    statements = [
        q["sql"].lstrip() for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith(CONTROL)
    ]
    # (the token's SELECT names accounts_scimgroup first, in its EXISTS column: skipped as "sg")
    kinds = [(sql.split()[0], re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"(?! sg)', sql).group(1)) for sql in statements]
    assert kinds == [
        ("SELECT", "accounts_scimtoken"),  # the token, with its account and group
        ("INSERT", "accounts_user"),
        ("INSERT", "accounts_useremail"),
        ("INSERT", "accounts_event"),
    ], statements
    assert created["emails"] == [{"value": "new@example.com", "primary": True}]
    users = User.objects.count()
    again = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "NEW@example.com"})
    assert (again.status_code, again.json()["scimType"]) == (409, "uniqueness")
    assert "NEW@example.com" in again.json()["detail"]
    assert User.objects.count() == users
    refused = Event.objects.filter(event="user_create_provision").latest("id")
    assert (refused.outcome, refused.target) == (Event.Outcome.FAILURE, "NEW@example.com")


@pytest.mark.plans
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan; PostgreSQL's depends on table statistics")
def test_a_lookup_reads_its_user_by_primary_key_not_by_walking_the_group(scim):
    """Without planner statistics (no ANALYZE yet), a rows query that repeated the account and group
    scope walked every user of the group to test the key; by key alone it is a primary-key probe."""
    users_import(
        account=scim.account, people=[NewUser(f"u{n}@example.com", email=f"u{n}@example.com") for n in range(500)],
        sso_group=scim.group,
    )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        found = scim.get("/Users", {"filter": 'userName eq "u250@example.com"'}).json()
    assert [r["userName"] for r in found["Resources"]] == ["u250@example.com"]
    rows_query = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "accounts_user"."id"'))
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {rows_query}")
        plan = " | ".join(row[-1] for row in cursor.fetchall())
    assert "accounts_user_username_ci_per_account" in plan  # the key, by the username index
    assert "PRIMARY KEY" in plan  # then the row by its key
    assert "accounts_user_list_order" not in plan, plan


def test_a_created_users_answer_is_what_a_read_of_it_answers(scim):
    """The create answers its emails from the rows it wrote, not read back: the very same document
    (and ETag) as a GET of the stored user, whatever the emails' spelling, types and order."""
    emails = [
        {"value": "Work@Example.COM", "type": "work", "display": "Work"},
        {"value": "home@example.com", "type": "home", "primary": True},
        {"value": "other@example.com", "primary": False},
    ]
    created = scim.create_user("shape@example.com", emails=emails, name={"givenName": "Sam"})
    read = scim.get(f"/Users/{created['id']}")
    assert read.json() == created
    assert read["ETag"] == created["meta"]["version"]
