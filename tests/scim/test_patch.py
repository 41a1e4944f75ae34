"""PATCH /Users/{id}: RFC 7644 §3.5.2 forms and the ones IdPs (Entra, Okta, JumpCloud) really send."""

import pytest

from accounts.models import Event, User

from .conftest import ENTERPRISE, SPARKPOST, USER_SCHEMA, error, meta, patch_body

START = {
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "displayName": "Babs",
    "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True},
               {"value": "babs@home.org", "type": "home"}],
}  # fmt: skip


@pytest.fixture
def created(scim):
    return scim.create_user("bjensen@example.com", **START)


def run(scim, created, *operations, status=200):
    response = scim.patch(f"/Users/{created['id']}", patch_body(*operations))
    assert response.status_code == status, response.content
    return response.json()


def test_replace_with_path_returns_the_whole_document(scim, created):
    body = run(scim, created, {"op": "replace", "path": "displayName", "value": "Barbara J"})
    user = User.objects.get(scim_id=created["id"])
    assert body == {**created, "displayName": "Barbara J", "meta": meta("User", user, body)}
    assert user.display_name == "Barbara J"
    assert Event.objects.get(event="user_update_provision").changes == {"display_name": "Barbara J"}


def test_no_path_object_with_dotted_and_urn_keys(scim, created):
    body = run(scim, created, {"op": "replace", "value": {
        "active": False, "name.givenName": "Barb", "title": "Guide",
        f"{ENTERPRISE}:department": "Tours", ENTERPRISE: {"costCenter": "42"}}})  # fmt: skip
    assert (body["active"], body["name"], body["title"]) == (False, {"givenName": "Barb", "familyName": "Jensen"},
                                                             "Guide")  # fmt: skip
    assert body[ENTERPRISE] == {"department": "Tours", "costCenter": "42"}
    assert body["schemas"] == [USER_SCHEMA, ENTERPRISE]


def test_add_emails_appends_and_a_new_primary_takes_over(scim, created):
    body = run(scim, created, {"op": "add", "path": "emails",
                               "value": [{"value": "b@new.example", "type": "other", "primary": True}]})  # fmt: skip
    assert body["emails"] == [
        {"value": "bjensen@example.com", "type": "work", "primary": False},
        {"value": "babs@home.org", "type": "home"},
        {"value": "b@new.example", "type": "other", "primary": True},
    ]
    assert User.objects.get(scim_id=created["id"]).email == "b@new.example"


def test_value_path_replace_existing_and_create_missing(scim, created):
    body = run(
        scim,
        created,
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "barbara@example.com"},
        {"op": "add", "path": 'emails[type eq "other"].value', "value": "x@other.example"},
    )
    assert body["emails"] == [
        {"value": "barbara@example.com", "type": "work", "primary": True},
        {"value": "babs@home.org", "type": "home"},
        {"type": "other", "value": "x@other.example"},
    ]


def test_remove_with_value_filter_and_sub_attribute(scim, created):
    body = run(scim, created, {"op": "remove", "path": 'emails[type eq "home"]'},
               {"op": "remove", "path": "name.givenName"})  # fmt: skip
    assert body["emails"] == [{"value": "bjensen@example.com", "type": "work", "primary": True}]
    assert body["name"] == {"familyName": "Jensen"}
    # Removing what is already gone is idempotent (IdPs retry).
    assert run(scim, created, {"op": "remove", "path": 'emails[type eq "home"]'})["emails"] == body["emails"]


def test_extension_paths(scim, created):
    scim.group.scim_roles = ["admin", "reporting"]  # an account admin allowed SCIM to assign admin
    scim.group.save(update_fields=["scim_roles"])
    body = run(scim, created, {"op": "add", "path": ENTERPRISE, "value": {"employeeNumber": "7"}},
               {"op": "add", "path": f"{ENTERPRISE}:manager", "value": {"value": "boss-1"}},
               {"op": "replace", "path": f"{SPARKPOST}:role", "value": "Admin"})  # fmt: skip
    assert body[ENTERPRISE] == {"employeeNumber": "7", "manager": {"value": "boss-1"}}
    assert body[SPARKPOST] == {"role": "admin"}
    assert User.objects.get(scim_id=created["id"]).role == "admin"
    body = run(scim, created, {"op": "remove", "path": f"{SPARKPOST}:role"},
               {"op": "remove", "path": f"{ENTERPRISE}:manager.value"})  # fmt: skip
    assert SPARKPOST not in body  # unassigned again: the group's default role applies
    assert body[ENTERPRISE] == {"employeeNumber": "7"}  # a complex value left empty is unassigned
    assert User.objects.get(scim_id=created["id"]).role == "reporting"


@pytest.mark.parametrize(
    ("operations", "status", "detail", "scim_type"),
    [
        ([{"op": "move", "path": "title", "value": "x"}], 400, "Unknown operation 'move': use add, remove or replace.",
         "invalidSyntax"),
        ([{"path": "title", "value": "x"}], 400, "Unknown operation None: use add, remove or replace.",
         "invalidSyntax"),
        ([{"op": "replace", "path": "shoeSize", "value": 9}], 400, "Unknown attribute 'shoeSize'.", "invalidPath"),
        ([{"op": "replace", "path": "emails[type eq]", "value": "x"}], 400,
         "Invalid filter: unexpected end of filter", "invalidFilter"),
        ([{"op": "replace", "path": "emails[type eq \"work\"", "value": "x"}], 400,
         "Invalid path 'emails[type eq \"work\"': unbalanced brackets.", "invalidPath"),
        ([{"op": "replace", "path": "title[value eq \"x\"]", "value": "x"}], 400,
         "Invalid path 'title[value eq \"x\"]': 'title' is not a multi-valued complex attribute.", "invalidPath"),
        ([{"op": "replace", "path": "id", "value": "x"}], 400, "Attribute 'id' is read-only.", "mutability"),
        ([{"op": "add", "path": "groups", "value": [{"value": "x"}]}], 400, "Attribute 'groups' is read-only.",
         "mutability"),
        ([{"op": "remove"}], 400, "A 'remove' operation needs a 'path'.", "noTarget"),
        ([{"op": "replace", "path": "title"}], 400, "A 'replace' operation needs a 'value'.", "invalidSyntax"),
        ([{"op": "add", "value": "x"}], 400, "A 'add' without 'path' needs an object value.", "invalidSyntax"),
        ([{"op": "replace", "path": 'emails[value co "zzz"].type', "value": "work"}], 400,
         "No value matches the filter in path 'emails[value co \"zzz\"].type'.", "noTarget"),
        ([{"op": "replace", "path": "active", "value": "maybe"}], 400, "Attribute 'active' must be a boolean.",
         "invalidValue"),
        ([{"op": "remove", "path": "userName"}], 400, "Attribute 'userName' is required.", "invalidValue"),
        ([{"op": "replace", "path": "displayName", "value": "ok"}, {"op": "replace", "path": "nope", "value": 1}], 400,
         "Unknown attribute 'nope'.", "invalidPath"),
        ([{"op": "replace", "path": "emails", "value": [{"value": "bad"}]}], 400,
         "Email 'bad' is not a valid address.", "invalidValue"),
        ("not a list", 400, "A PatchOp needs a non-empty 'Operations' list (at most 1000).", "invalidSyntax"),
        ([], 400, "A PatchOp needs a non-empty 'Operations' list (at most 1000).", "invalidSyntax"),
        (["op"], 400, "Each operation must be an object.", "invalidSyntax"),
    ],
)  # fmt: skip
def test_bad_patches_are_rejected_and_change_nothing(scim, created, operations, status, detail, scim_type):
    before = scim.get(f"/Users/{created['id']}").json()
    updates = Event.objects.filter(event="user_update_provision", outcome="success").count()

    response = scim.patch(f"/Users/{created['id']}", {"schemas": [patch_body()["schemas"][0]],
                                                       "Operations": operations})  # fmt: skip

    assert response.status_code == status
    assert response.json() == error(status, detail, scim_type)
    assert scim.get(f"/Users/{created['id']}").json() == before
    assert Event.objects.filter(event="user_update_provision", outcome="success").count() == updates
    assert Event.objects.filter(event="user_update_provision", outcome="failure").count() == 1


def test_patch_without_patchop_schema_is_invalid_syntax(scim, created):
    response = scim.patch(f"/Users/{created['id']}", {"Operations": [{"op": "remove", "path": "title"}]})
    assert response.status_code == 400
    assert response.json() == error(
        400, "The 'schemas' attribute must be ['urn:ietf:params:scim:api:messages:2.0:PatchOp'].", "invalidSyntax"
    )


def test_renaming_onto_an_existing_username_is_409(scim, created):
    scim.create_user("taken@example.com")
    response = scim.patch(f"/Users/{created['id']}", patch_body({"op": "replace", "path": "userName",
                                                                 "value": "TAKEN@example.com"}))  # fmt: skip
    assert response.status_code == 409
    assert response.json() == error(409, "A user with userName 'TAKEN@example.com' already exists.", "uniqueness")
    assert User.objects.get(scim_id=created["id"]).username == "bjensen@example.com"


def test_entra_sends_the_manager_as_a_bare_id(scim, created):
    body = run(scim, created, {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "boss-7"})
    assert body[ENTERPRISE] == {"manager": {"value": "boss-7"}}
    body = run(scim, created, {"op": "Remove", "path": f"{ENTERPRISE}:manager", "value": [{"value": "boss-7"}]})
    assert ENTERPRISE not in body
