"""``emails_of``: the one way a user's emails are read, for one user or a page of them, in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.emails import emails_of, emails_save, emails_with_primary, user_emails


@pytest.fixture
def people(account, make_user):
    ann, bob, cy = (make_user(account, f"{name}@example.com") for name in ("ann", "bob", "cy"))
    emails_save(ann, [{"value": "ann@work.example", "type": "work", "primary": True},
                      {"value": "ann@home.example", "type": "home"}], replace=False)  # fmt: skip
    emails_save(bob, [{"value": "bob@work.example", "primary": False}], replace=False)
    return ann, bob, cy


@pytest.mark.plans
def test_each_users_rows_in_order_in_one_query(people):
    ann, bob, cy = people
    with CaptureQueriesContext(connection) as queries:
        found = emails_of([ann.pk, bob.pk, cy.pk])
        values = {pk: [row.value for row in found[pk]] for pk in (ann.pk, bob.pk, cy.pk)}
    assert len(queries.captured_queries) == 1
    assert values == {ann.pk: ["ann@work.example", "ann@home.example"], bob.pk: ["bob@work.example"], cy.pk: []}
    assert [(row.type, row.primary) for row in found[ann.pk]] == [("work", True), ("home", None)]


@pytest.mark.plans
def test_no_users_asks_nothing(db):
    with CaptureQueriesContext(connection) as queries:
        assert emails_of([]) == {}
    assert queries.captured_queries == []


def test_the_readers_go_through_it(people):
    ann, _, cy = people
    with CaptureQueriesContext(connection) as queries:
        shown = user_emails(ann)
    assert len(queries.captured_queries) == 1
    assert [e["value"] for e in shown] == ["ann@work.example", "ann@home.example"]
    assert user_emails(cy) == [{"value": "cy@example.com", "type": "", "primary": True, "display": ""}]
    assert [(e["value"], e["primary"]) for e in emails_with_primary(ann, "ann@home.example")] == [
        ("ann@work.example", False), ("ann@home.example", True),
    ]  # fmt: skip
    assert emails_with_primary(cy, "cy@example.com") is None  # no rows: User.email alone is shown
