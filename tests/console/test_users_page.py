"""The admin's users and events pages: form errors instead of 500s, tenant isolation, access rules."""

import json

import pytest

from accounts.models import Account, Event, User
from accounts.users import user_create
from tests.conftest import force_recent_login

PASSWORD = "correct horse 42"


@pytest.fixture
def admin_client(client, admin):
    force_recent_login(client, admin)  # adding a user needs a recent sign-in
    return client


def test_duplicate_username_in_the_form_is_a_form_error(admin_client, account):
    user_create(account=account, username="Alice")
    users_before, events_before = User.objects.count(), Event.objects.count()
    response = admin_client.post("/account/users/", {"username": "alice", "role": "reporting"})
    assert response.status_code == 400
    assert "A user with that username already exists in this account." in response.content.decode()
    assert (User.objects.count(), Event.objects.count()) == (users_before, events_before)


def test_invalid_form_input_is_shown_next_to_the_field(admin_client):
    users_before = User.objects.count()
    response = admin_client.post("/account/users/", {"username": "", "email": "nope", "role": "owner"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "This field is required." in content
    assert "Enter a valid email address." in content
    assert "Select a valid choice." in content
    assert User.objects.count() == users_before


def test_admin_adds_a_user(admin_client, account, admin):
    response = admin_client.post(
        "/account/users/", {"username": "newbie", "email": "newbie@example.com", "role": "developer"}
    )
    assert response.status_code == 302
    user = User.objects.get(account=account, username="newbie")
    assert (user.role, user.has_usable_password()) == ("developer", False)
    assert Event.objects.filter(event="user_create", actor=admin.username, target="newbie").exists()


def test_another_accounts_user_is_a_404_and_untouched(admin_client, make_account):
    _, foreign_admin = make_account()
    response = admin_client.post(f"/account/users/{foreign_admin.pk}/active", {"active": "false"})
    assert response.status_code == 404
    foreign_admin.refresh_from_db()
    assert foreign_admin.is_active is True


def test_non_admins_get_an_explanation(client, account, make_user):
    user = make_user(account, "reporter@example.com")
    client.force_login(user)
    for url in ("/account/users/", "/account/events/", "/account/events/export.json"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Only account admins can manage" in response.content.decode()


def test_signed_out_visitors_are_sent_to_login(client, db):
    response = client.get("/account/users/")
    assert response.status_code == 302
    assert response["Location"] == "/login?next=/account/users/"
    assert client.get("/")["Location"] == "/login?next=/"


def test_event_log_and_export_show_only_this_account(admin_client, account, make_account):
    other, _ = make_account(name="Other Co")
    Event.objects.create(account=other, event="secret_event", actor="them")
    Event.objects.create(account=account, event="mine", actor="me", changes={"field": "value"})
    page = admin_client.get("/account/events/")
    assert page.status_code == 200
    assert "mine" in page.content.decode()
    assert "secret_event" not in page.content.decode()

    response = admin_client.get("/account/events/export.json", {"event": "mine"})
    exported = json.loads(b"".join(response.streaming_content))["events"]
    assert len(exported) == 1
    assert set(exported[0]) == {"time", "event", "actor", "target", "outcome", "reason", "ip", "request_id", "changes"}
    assert exported[0]["changes"] == {"field": "value"}


def test_export_with_a_bad_since_is_a_400_with_the_reason(admin_client):
    response = admin_client.get("/account/events/export.json", {"since": "yesterday"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "since must be an ISO 8601 date-time with a time zone, e.g. 2026-11-28T12:00:00Z"
    }


def test_events_record_the_request_id_and_ip(client, admin):
    response = client.post("/login", {"identifier": admin.email, "password": PASSWORD})
    event = Event.objects.get(event="password_login_success")
    assert event.request_id == response["X-Request-ID"]
    assert event.ip == "127.0.0.1"
    assert json.dumps(event.changes)  # JSON-serialisable, never secrets
    assert PASSWORD not in json.dumps([e.changes for e in Event.objects.all()])
    assert Account.objects.count() == 1
