"""POST/GET/PUT/DELETE /Users: whole documents, events, sessions, ETags and every rejection."""

import pytest

from accounts.models import Event, User

from .conftest import ENTERPRISE, GROUP_SCHEMA, SPARKPOST, USER_SCHEMA, error, meta, patch_body

FULL = {
    "schemas": [USER_SCHEMA, ENTERPRISE, SPARKPOST],
    "externalId": "jc-00042",
    "userName": "bjensen@example.com",
    "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara",
             "middleName": "Jane"},
    "displayName": "Babs Jensen",
    "nickName": "Babs",
    "title": "Tour Guide",
    "active": True,
    "emails": [
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home", "display": "Home"},
    ],
    "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
    ENTERPRISE: {"employeeNumber": "701984", "department": "Tour Operations", "manager": {"value": "26118915-6090"}},
    SPARKPOST: {"role": "developer"},
}  # fmt: skip


def _user(body) -> User:
    return User.objects.get(scim_id=body["id"])


def test_create_minimal_user_returns_201_location_etag_and_whole_document(scim):
    response = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "alice@example.com"})

    assert response.status_code == 201
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    user = _user(body)
    assert body == {
        "schemas": [USER_SCHEMA],
        "id": str(user.scim_id),
        "userName": "alice@example.com",
        "meta": meta("User", user, body),
    }
    assert response["Location"] == body["meta"]["location"]
    assert response["ETag"] == body["meta"]["version"]
    assert body["meta"]["version"].startswith('W/"')
    # Provisioned into the token's account and SSO group; role unassigned → the group's default.
    assert (user.account, user.sso_group, user.role, user.is_active) == (scim.account, scim.group, "reporting", True)
    event = Event.objects.get(event="user_create_provision")
    assert (event.account, event.actor, event.target, event.outcome) == (
        scim.account, f"scim:{scim.token_obj.prefix}", "alice@example.com", "success")  # fmt: skip


def test_create_full_user_round_trips_every_attribute(scim):
    response = scim.post("/Users", FULL)

    assert response.status_code == 201
    body = response.json()
    user = _user(body)
    expected = {**FULL, "id": str(user.scim_id), "meta": meta("User", user, body)}
    assert body == expected
    assert scim.get(f"/Users/{user.scim_id}").json() == expected
    assert (user.username, user.email, user.first_name, user.last_name, user.display_name, user.title) == (
        "bjensen@example.com", "bjensen@example.com", "Barbara", "Jensen", "Babs Jensen", "Tour Guide")  # fmt: skip
    assert (user.external_id, user.role) == ("jc-00042", "developer")


def test_create_uses_group_default_role_and_accepts_string_booleans(make_scim):
    scim = make_scim(default_role="templates")
    body = scim.create_user("carol@example.com", active="False", emails=[{"value": "c@example.com", "primary": "true"}])

    user = _user(body)
    assert (user.role, user.is_active, user.email) == ("templates", False, "c@example.com")
    assert body["active"] is False
    assert body["emails"] == [{"value": "c@example.com", "primary": True}]


def test_application_json_is_accepted(scim):
    response = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "dan"}, content_type="application/json")
    assert response.status_code == 201


def test_duplicate_username_is_409_uniqueness_case_insensitively_and_writes_nothing(scim):
    scim.create_user("Alice@Example.com")
    before = User.objects.count()

    response = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "alice@example.COM"})

    assert response.status_code == 409
    assert response.json() == error(409, "A user with userName 'alice@example.COM' already exists.", "uniqueness")
    assert User.objects.count() == before
    failure = Event.objects.get(event="user_create_provision", outcome="failure")
    assert failure.reason == "409 uniqueness A user with userName 'alice@example.COM' already exists."


def test_same_username_in_another_account_is_fine(scim, other_scim):
    scim.create_user("shared@example.com")
    assert other_scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "shared@example.com"}).status_code == 201


BAD_BODIES = [
    ("{not json", 400, "invalidSyntax", None),
    ("[1, 2]", 400, "invalidSyntax", "The request body must be a JSON object."),
    ({"userName": "x"}, 400, "invalidSyntax", None),
    ({"schemas": [GROUP_SCHEMA], "userName": "x"}, 400, "invalidSyntax", None),
    ({"schemas": [USER_SCHEMA]}, 400, "invalidValue", "Attribute 'userName' is required."),
    ({"schemas": [USER_SCHEMA], "userName": "  "}, 400, "invalidValue", "Attribute 'userName' is required."),
    ({"schemas": [USER_SCHEMA], "userName": 42}, 400, "invalidValue", "Attribute 'userName' must be a string."),
    ({"schemas": [USER_SCHEMA], "userName": "x", "shoeSize": 9}, 400, "invalidValue", "Unknown attribute 'shoeSize'."),
    ({"schemas": [USER_SCHEMA], "userName": "x", "name": {"nick": "y"}}, 400, "invalidValue",
     "Unknown attribute 'name.nick'."),
    ({"schemas": [USER_SCHEMA], "userName": "x", "name": "Bob"}, 400, "invalidValue",
     "Attribute 'name' must be an object."),
    ({"schemas": [USER_SCHEMA], "userName": "x", "active": "yes"}, 400, "invalidValue",
     "Attribute 'active' must be a boolean."),
    ({"schemas": [USER_SCHEMA], "userName": "x", "emails": {"value": "a@b.c"}}, 400, "invalidValue",
     "Attribute 'emails' must be an array."),
    ({"schemas": [USER_SCHEMA], "userName": "x", "emails": [{"value": "nope"}]}, 400, "invalidValue",
     "Email 'nope' is not a valid address."),
    ({"schemas": [USER_SCHEMA], "userName": "x", "emails": [{"value": "a@b.co", "primary": True},
      {"value": "c@d.co", "primary": True}]}, 400, "invalidValue", "At most one value of 'emails' may be primary."),
    ({"schemas": [USER_SCHEMA, SPARKPOST], "userName": "x", SPARKPOST: {"role": "owner"}}, 400, "invalidValue",
     "Attribute 'role' must be one of admin, developer, templates, reporting."),
    ({"schemas": [USER_SCHEMA], "userName": "x", "password": 42}, 400, "invalidValue",
     "Attribute 'password' must be a string."),
    ({"schemas": [USER_SCHEMA], "userName": "x", "urn:example:ext:1.0:User": {"a": 1}}, 400, "invalidValue",
     "'urn:example:ext:1.0:User' carries attributes of a schema this server does not keep; the schemas of a User "
     f"are {USER_SCHEMA}, {ENTERPRISE}, {SPARKPOST}. Remove the attribute mapping in the identity provider (an "
     "extension URN listed in 'schemas' alone is fine)."),
    ({"schemas": [USER_SCHEMA], "userName": "x", "displayName": "d" * 300}, 400, "invalidValue",
     "displayName: Ensure this value has at most 255 characters (it has 300)."),
]  # fmt: skip


@pytest.mark.parametrize(("body", "status", "scim_type", "detail"), BAD_BODIES)
def test_bad_create_bodies_are_rejected_with_a_scim_error_and_write_nothing(scim, body, status, scim_type, detail):
    users, events = User.objects.count(), Event.objects.filter(outcome="success").count()

    response = scim.post("/Users", raw=body) if isinstance(body, str) else scim.post("/Users", body)

    assert response.status_code == status
    payload = response.json()
    if detail is None:  # JSON decoder messages and schema lists are long; check their stable start
        assert payload["detail"].startswith(("The request body is not valid JSON", "The 'schemas' attribute must"))
        detail = payload["detail"]
    assert payload == error(status, detail, scim_type)
    assert (User.objects.count(), Event.objects.filter(outcome="success").count()) == (users, events)


def test_wrong_content_type_is_415(scim):
    response = scim.post("/Users", raw="userName=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json() == error(
        415, "Send the body as application/scim+json (or application/json).", "invalidSyntax"
    )


def test_body_over_one_mebibyte_is_413_and_writes_nothing(scim):
    big = {"schemas": [USER_SCHEMA], "userName": "big", "nickName": "x" * (1024 * 1024)}
    response = scim.post("/Users", big)
    assert response.status_code == 413
    assert response.json() == error(413, "The request body is larger than the 1 MiB limit.")
    assert not User.objects.filter(username="big").exists()


def test_deeply_nested_json_is_a_400_not_a_500(scim):
    response = scim.post("/Users", raw="[" * 100000 + "]" * 100000)
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidSyntax"


@pytest.mark.parametrize("bad_id", ["42", "not-a-uuid", "00000000-0000-0000-0000-000000000000", "%00", "..%2F"])
def test_unknown_or_invalid_ids_are_404(scim, bad_id):
    response = scim.get(f"/Users/{bad_id}")
    assert response.status_code == 404
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert response.json()["status"] == "404"


def test_another_accounts_user_is_404_for_every_method(scim, other_scim):
    theirs = other_scim.create_user("theirs@example.com")
    path = f"/Users/{theirs['id']}"
    detail = error(404, f"Resource {theirs['id']} not found.")

    assert scim.get(path).json() == detail
    assert scim.put(path, {"schemas": [USER_SCHEMA], "userName": "hijack"}).json() == detail
    assert scim.patch(path, patch_body({"op": "replace", "path": "active", "value": False})).json() == detail
    assert scim.delete(path).status_code == 404
    user = User.objects.get(scim_id=theirs["id"])
    assert (user.username, user.is_active) == ("theirs@example.com", True)


def test_put_replaces_the_whole_resource(scim):
    created = scim.post("/Users", FULL).json()

    response = scim.put(f"/Users/{created['id']}", {"schemas": [USER_SCHEMA], "userName": "barbara@example.com",
                                                     "name": {"givenName": "Barbara"}, "active": True})  # fmt: skip

    assert response.status_code == 200
    body = response.json()
    user = _user(body)
    assert body == {
        "schemas": [USER_SCHEMA],
        "id": created["id"],
        "userName": "barbara@example.com",
        "name": {"givenName": "Barbara"},
        "active": True,
        "meta": meta("User", user, body),
    }
    assert (user.email, user.title, user.external_id, user.role, user.last_name) == ("", "", "", "reporting", "")
    assert response["ETag"] == body["meta"]["version"] != created["meta"]["version"]
    event = Event.objects.get(event="user_update_provision")
    assert event.changes["username"] == "barbara@example.com"


def test_delete_removes_the_user_and_returns_204(scim):
    created = scim.create_user("frank@example.com")

    response = scim.delete(f"/Users/{created['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert not User.objects.filter(scim_id=created["id"]).exists()
    assert scim.get(f"/Users/{created['id']}").status_code == 404
    assert Event.objects.filter(event="user_delete_provision", target="frank@example.com").count() == 1


def test_get_writes_nothing_and_honours_if_none_match(scim):
    created = scim.create_user("gina@example.com")
    path = f"/Users/{created['id']}"
    events = Event.objects.count()

    assert scim.get(path).json() == created
    assert Event.objects.count() == events  # a lookup that answers records nothing (JumpCloud: failures only)
    not_modified = scim.get(path, HTTP_IF_NONE_MATCH=created["meta"]["version"])
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert scim.get(path, HTTP_IF_NONE_MATCH='W/"other"').status_code == 200


def test_if_match_mismatch_is_412_and_changes_nothing(scim):
    created = scim.create_user("hank@example.com")
    path = f"/Users/{created['id']}"
    body = {"schemas": [USER_SCHEMA], "userName": "henry@example.com"}

    stale = scim.put(path, body, HTTP_IF_MATCH='W/"0000"')
    assert stale.status_code == 412
    assert stale.json() == error(412, "The resource has changed since it was read (If-Match does not match its ETag).")
    assert scim.delete(path, HTTP_IF_MATCH='W/"0000"').status_code == 412
    assert User.objects.get(scim_id=created["id"]).username == "hank@example.com"

    fresh = scim.put(path, body, HTTP_IF_MATCH=created["meta"]["version"])
    assert fresh.status_code == 200
    assert fresh.json()["userName"] == "henry@example.com"
