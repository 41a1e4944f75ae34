"""SCIM answers 400 invalidValue for a userName or email with invisible characters; full-width
forms are the same name (accounts.identifiers)."""

from accounts.identifiers import MSG_INVISIBLE
from accounts.models import Event, User

from .conftest import USER_SCHEMA, error

USERNAME_REFUSED = f"The username {MSG_INVISIBLE}"


def test_scim_refuses_a_zero_width_space_with_invalid_value(scim):
    before = (User.objects.count(), Event.objects.count())
    response = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "alice@a.example\u200b"})
    assert response.status_code == 400
    assert response.json() == error(400, f"userName: {USERNAME_REFUSED}", "invalidValue")
    assert User.objects.count() == before[0]
    # The one thing written is the failure's event, as for every refused SCIM write.
    assert Event.objects.count() == before[1] + 1
    failure = Event.objects.get(event="user_create_provision")
    assert (failure.outcome, failure.reason) == ("failure", f"400 invalidValue userName: {USERNAME_REFUSED}")


def test_scim_refuses_an_invisible_character_in_emails(scim):
    before = User.objects.count()
    body = {
        "schemas": [USER_SCHEMA],
        "userName": "dora@a.example",
        "emails": [{"value": "dora@a.example", "primary": True}, {"value": "d\u200bora@b.example"}],
    }
    response = scim.post("/Users", body)
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert response.json()["detail"] == "Email 'd\\u200bora@b.example' is not a valid address."
    assert User.objects.count() == before


def test_scim_full_width_name_is_the_same_user(scim):
    created = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "ｅｒｉｎ@a.example"})
    assert created.status_code == 201
    assert created.json()["userName"] == "erin@a.example"
    clash = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "erin@a.example"})
    assert clash.status_code == 409
    assert clash.json()["scimType"] == "uniqueness"
