"""The bulk import service: many users in a few statements, all or nothing, one event."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Event, User, UserEmail
from accounts.user_import import NewUser, users_import

pytestmark = pytest.mark.django_db


@pytest.mark.plans
def test_imports_users_with_their_email_rows_and_one_event(account):
    people = [NewUser(username=f"u{k}@example.com", email=f"u{k}@example.com", first_name="U") for k in range(50)]
    with CaptureQueriesContext(connection) as queries:
        assert users_import(account=account, people=people, actor="ops") == 50
    assert len(queries.captured_queries) <= 8  # a batch is two INSERTs, whatever its size
    users = User.objects.filter(account=account, username__startswith="u")
    assert users.count() == 50
    assert UserEmail.objects.filter(user__in=users, primary=True).count() == 50
    event = Event.objects.get(event="user_import")
    assert (event.account_id, event.actor, event.changes) == (account.pk, "ops", {"users": 50})


def test_a_name_twice_is_refused_before_anything_is_written(account):
    before = User.objects.count()
    with pytest.raises(ValidationError, match="names Dup@example.com twice"):
        users_import(account=account, people=[NewUser("dup@example.com"), NewUser("Dup@example.com")])
    assert User.objects.count() == before
    assert not Event.objects.filter(event="user_import").exists()


def test_a_name_already_taken_writes_nothing(account):
    users_import(account=account, people=[NewUser("taken@example.com")])
    before = (User.objects.count(), Event.objects.count())
    with pytest.raises(IntegrityError):
        users_import(account=account, people=[NewUser("new@example.com"), NewUser("TAKEN@example.com")])
    assert (User.objects.count(), Event.objects.count()) == before
