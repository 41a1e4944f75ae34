"""/Groups: create, get, list/filter, PUT, PATCH members and rename, delete; members stay in the account."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Event, User
from scim.models import ScimGroup, ScimGroupMembership

from .conftest import BASE, GROUP_SCHEMA, LIST, error, meta, patch_body


def member(doc):
    return {"value": doc["id"], "$ref": f"https://sso.example.test{BASE}/Users/{doc['id']}", "type": "User"}


@pytest.fixture
def users(scim):
    return [scim.create_user(f"u{i}@example.com") for i in range(3)]


def test_create_and_get_group_whole_document(scim, users):
    response = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Engineering", "externalId": "g-1",
                                     "members": [{"value": users[0]["id"], "display": "u0"}]})  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    group = ScimGroup.objects.get(scim_id=body["id"])
    assert body == {
        "schemas": [GROUP_SCHEMA],
        "id": str(group.scim_id),
        "externalId": "g-1",
        "displayName": "Engineering",
        "members": [member(users[0])],
        "meta": meta("Group", group, body),
    }
    assert response["Location"] == body["meta"]["location"]
    assert scim.get(f"/Groups/{body['id']}").json() == body
    assert Event.objects.get(event="group_create_provision").actor == f"scim:{scim.token_obj.prefix}"
    user_doc = scim.get(f"/Users/{users[0]['id']}").json()
    assert user_doc["groups"] == [{"value": body["id"], "$ref": body["meta"]["location"], "display": "Engineering",
                                   "type": "direct"}]  # fmt: skip


def test_list_and_filter_groups(scim, users):
    eng = scim.create_group("Engineering", [users[0]["id"]])
    scim.create_group("Sales")
    found = scim.get("/Groups", {"filter": 'displayName eq "engineering"'}).json()
    assert found == {"schemas": [LIST], "totalResults": 1, "startIndex": 1, "itemsPerPage": 1, "Resources": [eng]}
    by_member = scim.get("/Groups", {"filter": f'members[value eq "{users[0]["id"]}"]'}).json()
    assert [g["displayName"] for g in by_member["Resources"]] == ["Engineering"]
    assert scim.get("/Groups", {"sortBy": "displayName", "sortOrder": "descending"}).json()["Resources"][0][
        "displayName"] == "Sales"  # fmt: skip


def test_put_replaces_name_and_members(scim, users):
    group = scim.create_group("Eng", [users[0]["id"], users[1]["id"]])
    response = scim.put(f"/Groups/{group['id']}", {"schemas": [GROUP_SCHEMA], "displayName": "Engineering",
                                                   "members": [{"value": users[2]["id"]}]})  # fmt: skip
    assert response.status_code == 200
    assert (response.json()["displayName"], response.json()["members"]) == ("Engineering", [member(users[2])])
    event = Event.objects.get(event="group_update_provision")
    assert event.changes["displayName"] == "Engineering"
    assert len(event.changes["members_removed"]) == 2


def test_patch_members_add_remove_and_rename(scim, users):
    group = scim.create_group("Eng", [users[0]["id"]])
    path = f"/Groups/{group['id']}"

    added = scim.patch(path, patch_body({"op": "add", "path": "members",
                                         "value": [{"value": users[1]["id"]}, {"value": users[2]["id"]}]}))  # fmt: skip
    assert added.json()["members"] == [member(users[0]), member(users[1]), member(users[2])]

    removed = scim.patch(path, patch_body({"op": "remove", "path": f'members[value eq "{users[1]["id"]}"]'}))
    assert removed.json()["members"] == [member(users[0]), member(users[2])]

    okta_style = scim.patch(path, patch_body({"op": "remove", "path": "members", "value": [{"value": users[0]["id"]}]}))
    assert okta_style.json()["members"] == [member(users[2])]

    renamed = scim.patch(path, patch_body({"op": "Replace", "value": {"id": group["id"], "displayName": "Platform"}}))
    assert renamed.status_code == 200
    assert renamed.json()["displayName"] == "Platform"

    emptied = scim.patch(path, patch_body({"op": "remove", "path": "members"}))
    assert "members" not in emptied.json()
    assert ScimGroupMembership.objects.count() == 0


def test_delete_group_keeps_its_users(scim, users):
    group = scim.create_group("Eng", [users[0]["id"]])
    response = scim.delete(f"/Groups/{group['id']}")
    assert (response.status_code, response.content) == (204, b"")
    assert scim.get(f"/Groups/{group['id']}").status_code == 404
    assert scim.get(f"/Users/{users[0]['id']}").status_code == 200
    assert Event.objects.filter(event="group_delete_provision", target="Eng").count() == 1


def test_members_from_another_account_or_unknown_are_400_and_nothing_is_written(scim, other_scim, users):
    foreign = other_scim.create_user("foreign@example.com")
    bad = [
        ({"value": foreign["id"]}, f"Member '{foreign['id']}' is not a user this SSO group manages."),
        ({"value": "not-a-uuid"}, "Member 'not-a-uuid' is not a user this SSO group manages."),
        ({"value": users[0]["id"], "type": "Group"}, f"Only users can be group members (member '{users[0]['id']}' "
         "has type 'Group')."),
    ]  # fmt: skip
    for entry, detail in bad:
        response = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "X", "members": [entry]})
        assert response.status_code == 400
        assert response.json() == error(400, detail, "invalidValue")
    assert ScimGroup.objects.count() == 0
    group = scim.create_group("Eng")
    response = scim.patch(f"/Groups/{group['id']}", patch_body({"op": "add", "path": "members",
                                                                "value": [{"value": foreign["id"]}]}))  # fmt: skip
    assert response.status_code == 400
    assert ScimGroupMembership.objects.count() == 0


def test_another_accounts_group_is_404(scim, other_scim):
    theirs = other_scim.create_group("Theirs")
    assert scim.get(f"/Groups/{theirs['id']}").json() == error(404, f"Resource {theirs['id']} not found.")
    assert scim.delete(f"/Groups/{theirs['id']}").status_code == 404
    assert scim.get("/Groups").json()["totalResults"] == 0
    assert ScimGroup.objects.filter(scim_id=theirs["id"]).exists()


@pytest.mark.parametrize(
    ("body", "detail", "scim_type"),
    [
        ({"schemas": [GROUP_SCHEMA]}, "Attribute 'displayName' is required.", "invalidValue"),
        ({"schemas": [GROUP_SCHEMA], "displayName": "X", "owner": "me"}, "Unknown attribute 'owner'.", "invalidValue"),
        ({"schemas": [GROUP_SCHEMA], "displayName": "X", "members": "all"}, "Attribute 'members' must be an array.",
         "invalidValue"),
        ({"schemas": [GROUP_SCHEMA], "displayName": ["X"]}, "Attribute 'displayName' must be a string.",
         "invalidValue"),
    ],
)  # fmt: skip
def test_bad_group_bodies(scim, body, detail, scim_type):
    response = scim.post("/Groups", body)
    assert response.status_code == 400
    assert response.json() == error(400, detail, scim_type)
    assert ScimGroup.objects.count() == 0


def test_group_lookups_record_an_event_only_when_they_fail(scim):
    """As JumpCloud's Directory Insights: a lookup that answers writes nothing."""
    group = scim.create_group("Ops")
    assert scim.get(f"/Groups/{group['id']}").status_code == 200
    assert scim.get("/Groups", {"filter": 'displayName eq "Ops"'}).status_code == 200
    assert not Event.objects.filter(event="group_lookup_provision").exists()
    missing = "7f1c0b9e-0000-4000-8000-000000000000"
    assert scim.get(f"/Groups/{missing}").status_code == 404
    assert scim.get("/Groups", {"filter": 'displayName zz "Ops"'}).status_code == 400
    events = Event.objects.filter(event="group_lookup_provision").order_by("id")
    assert [(e.actor, e.target, e.outcome) for e in events] == [
        (f"scim:{scim.token_obj.prefix}", missing, Event.Outcome.FAILURE),
        (f"scim:{scim.token_obj.prefix}", 'displayName zz "Ops"', Event.Outcome.FAILURE),
    ]


def _rows() -> dict[str, int]:
    return {str(scim_id): pk for scim_id, pk in ScimGroupMembership.objects.values_list("user__scim_id", "pk")}


def _membership_writes(queries) -> list[str]:
    return [q["sql"].split()[0] for q in queries.captured_queries
            if q["sql"].startswith(("INSERT", "UPDATE", "DELETE")) and "scimgroupmembership" in q["sql"]]  # fmt: skip


def test_patch_inserts_the_members_it_adds_and_deletes_those_it_removes_leaving_the_others(scim, users):
    group = scim.create_group("Eng", [users[0]["id"], users[1]["id"]])
    path, before = f"/Groups/{group['id']}", _rows()

    with CaptureQueriesContext(connection) as queries:
        added = scim.patch(path, patch_body({"op": "add", "path": "members", "value": [{"value": users[2]["id"]}]}))
    assert added.json()["members"] == [member(users[0]), member(users[1]), member(users[2])]
    assert _membership_writes(queries) == ["INSERT"]
    after_add = _rows()
    assert {k: after_add[k] for k in before} == before  # the rows that stay are the same rows

    with CaptureQueriesContext(connection) as queries:
        removed = scim.patch(path, patch_body({"op": "remove", "path": f'members[value eq "{users[0]["id"]}"]'}))
    assert removed.json()["members"] == [member(users[1]), member(users[2])]
    assert _membership_writes(queries) == ["DELETE"]
    assert _rows() == {k: v for k, v in after_add.items() if k != users[0]["id"]}
    event = Event.objects.filter(event="group_update_provision").latest("id")
    assert event.changes == {"members_removed": [User.objects.get(scim_id=users[0]["id"]).pk]}


def test_a_replace_that_reorders_members_renumbers_them(scim, users):
    group = scim.create_group("Eng", [users[0]["id"], users[1]["id"]])
    response = scim.patch(f"/Groups/{group['id']}", patch_body({"op": "replace", "path": "members", "value": [
        {"value": users[2]["id"]}, {"value": users[1]["id"]}, {"value": users[0]["id"]}]}))  # fmt: skip
    assert response.json()["members"] == [member(users[2]), member(users[1]), member(users[0])]
    assert scim.get(f"/Groups/{group['id']}").json()["members"] == response.json()["members"]


def test_member_operations_in_every_form_idps_send(scim, users):
    group = scim.create_group("Eng", [users[0]["id"]])
    path = f"/Groups/{group['id']}"

    def run(*operations, status=200):
        response = scim.patch(path, patch_body(*operations))
        assert response.status_code == status, response.content
        return response.json()

    upper = users[1]["id"].upper()  # the same user, however its id is spelled
    body = run({"op": "add", "value": {f"{GROUP_SCHEMA}:members": [{"value": upper}], "displayName": "Eng 2"}},
               {"op": "add", "path": "members", "value": [{"value": users[1]["id"]}]})  # fmt: skip
    assert (body["displayName"], body["members"]) == ("Eng 2", [member(users[0]), member(users[1])])
    assert run({"op": "remove", "path": f'members[value eq "{upper}"]'})["members"] == [member(users[0])]
    assert run({"op": "remove", "path": 'members[value eq "gone"]'})["members"] == [member(users[0])]  # idempotent
    assert "members" not in run({"op": "remove", "path": 'members[type eq "User"]'})  # any other filter works too
    assert run({"op": "add", "path": "members"}, status=400) == error(
        400, "A 'add' operation needs a 'value'.", "invalidSyntax")  # fmt: skip
    assert ScimGroupMembership.objects.count() == 0
