"""Users: per-account case-insensitive usernames, enforced by the database on SQLite and PostgreSQL."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Event, User
from accounts.users import is_username_taken, user_create, user_update


def test_username_is_unique_per_account_ignoring_case(account, make_account):
    user_create(account=account, username="Alice", email="alice@example.com")
    with pytest.raises(ValidationError) as exc:
        user_create(account=account, username="alice", email="other@example.com")
    assert is_username_taken(exc.value)
    assert exc.value.message_dict == {"username": ["A user with that username already exists in this account."]}
    assert User.objects.filter(account=account, username__iexact="alice").count() == 1

    other_account, _ = make_account()
    bob = user_create(account=other_account, username="alice")
    assert bob.account == other_account


def test_database_constraint_itself_refuses_a_case_variant(account):
    """The constraint lives in the schema, so even a write that skips validation is refused."""
    user_create(account=account, username="Carol")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(account=account, username="CAROL")
    assert User.objects.filter(account=account, username__iexact="carol").count() == 1


def test_rename_onto_a_taken_name_is_refused_and_nothing_changes(account):
    user_create(account=account, username="dave")
    erin = user_create(account=account, username="erin")
    events_before = Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        user_update(user=erin, username="DAVE")
    assert is_username_taken(exc.value)
    erin.refresh_from_db()
    assert erin.username == "erin"
    assert Event.objects.count() == events_before


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"username": ""}, {"username": ["This field cannot be blank."]}),
        ({"username": "x", "email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        ({"username": "x", "role": "owner"}, {"role": ["Value 'owner' is not a valid choice."]}),
    ],
)
def test_invalid_users_are_refused_and_nothing_is_written(account, fields, errors):
    users_before, events_before = User.objects.count(), Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        user_create(account=account, **fields)
    assert exc.value.message_dict == errors
    assert (User.objects.count(), Event.objects.count()) == (users_before, events_before)


def test_create_and_update_record_events_with_changes(account, admin):
    user = user_create(account=account, username="frank", email="frank@example.com", actor=admin.username)
    user_update(user=user, actor=admin.username, first_name="Frank", role=User.Role.DEVELOPER)
    events = list(Event.objects.filter(account=account, target="frank").values_list("event", "actor", "changes"))
    assert events[0][0:2] == ("user_create", admin.username)
    assert events[0][2]["email"] == "frank@example.com"
    assert events[1] == ("user_update", admin.username, {"first_name": "Frank", "role": "developer"})


def test_events_are_append_only(account):
    event = Event.objects.filter(account=account).first()
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_the_last_active_admin_cannot_be_deactivated_demoted_or_deleted(account, admin):
    from accounts.users import is_last_admin_error, user_delete

    for change in ({"is_active": False}, {"role": User.Role.REPORTING}):
        with pytest.raises(ValidationError) as exc:
            user_update(user=admin, **change)
        assert is_last_admin_error(exc.value)
    with pytest.raises(ValidationError) as exc:
        user_delete(user=admin)
    assert is_last_admin_error(exc.value)
    admin.refresh_from_db()
    assert (admin.is_active, admin.role) == (True, "admin")

    # A second admin without a password is no break-glass account: still refused.
    user_create(account=account, username="deputy", role=User.Role.ADMIN)
    with pytest.raises(ValidationError) as exc:
        user_update(user=admin, is_active=False)
    assert is_last_admin_error(exc.value)

    user_create(account=account, username="deputy2", role=User.Role.ADMIN, password="another horse 43")
    user_update(user=admin, is_active=False)
    admin.refresh_from_db()
    assert admin.is_active is False
