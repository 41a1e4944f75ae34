"""JumpCloud, as its own documentation describes its behaviour.

Source: JumpCloud, "Identity Management using a Custom SCIM Integration"
(https://jumpcloud.com/support/provision-and-manage-users-and-groups-in-apps-using-custom-scim-identity-management-integration):
- "A test user and test group are created to test the integration. Both will be deleted if the DELETE method
  is supported by the service provider." (the Test Connection button, with the admin's "Test User Email");
- "JumpCloud takes over management of existing groups in the application when the user group name in
  JumpCloud matches the name of the group in the application"; "Group renaming is supported"; "Managed
  groups deleted in JumpCloud are deleted in the application";
- its Directory Insights events: "user_deprovision: Logged when JumpCloud tries to change an existing user
  to inactive in the service provider application" (deprovisioning deactivates, it does not delete).

JumpCloud publishes what it does, not its request bodies: each step below is RFC 7644's form of it, as the
JumpCloud connector sends it in this project's other tests (a userName or displayName lookup before a
create, application/scim+json, a path-less PATCH replace of ``active``), with the SparkPost extension's role.
"""

import pytest
from django.test import Client

from accounts.models import User
from scim.models import ScimGroup
from scim.tokens import scim_token_create
from tests.scim.conftest import GROUP_SCHEMA, LIST, SPARKPOST, USER_SCHEMA, Scim

from .conftest import Wire, body_of, stored

JSON = "application/scim+json"
TEST_EMAIL = "jc.test.user@example.com"  # what the admin types as "Test User Email"


def jc(method: str, path: str, body: str = "") -> Wire:
    return Wire(method, path, body, content_type=JSON if body else None)


def user_body(email: str, role: str = "developer", active: str = "true") -> str:
    return (
        f'{{"schemas":["{USER_SCHEMA}","{SPARKPOST}"],"userName":"{email}","active":{active},'
        f'"name":{{"givenName":"JumpCloud","familyName":"Test"}},'
        f'"emails":[{{"value":"{email}","type":"work","primary":true}}],"{SPARKPOST}":{{"role":"{role}"}}}}'
    )


def group_body(name: str, *member_ids: str) -> str:
    members = ",".join(f'{{"value":"{m}"}}' for m in member_ids)
    return f'{{"schemas":["{GROUP_SCHEMA}"],"displayName":"{name}","members":[{members}]}}'


@pytest.fixture
def jumpcloud(make_scim):
    """A group whose tokens may assign developer (JumpCloud's SparkPost connector sends the role)."""
    return make_scim(scim_roles=["developer", "templates", "reporting"])


def test_test_connection_creates_and_deletes_a_test_user_and_a_test_group(jumpcloud, mark):
    scim = jumpcloud
    users, groups = User.objects.count(), ScimGroup.objects.count()
    mark()

    lookup = jc("GET", f'/Users?filter=userName eq "{TEST_EMAIL}"').send(scim)
    assert body_of(lookup) == {"schemas": [LIST], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0,
                               "Resources": []}  # fmt: skip
    created = jc("POST", "/Users", user_body(TEST_EMAIL)).send(scim)
    assert created.status_code == 201, created.content
    user = body_of(created)
    assert (stored(user["id"]).role, stored(user["id"]).sso_group) == ("developer", scim.group)
    group = jc("POST", "/Groups", group_body("JumpCloud Test Group", user["id"])).send(scim)
    assert group.status_code == 201, group.content
    group_id = body_of(group)["id"]
    assert [m["value"] for m in body_of(group)["members"]] == [user["id"]]

    assert jc("DELETE", f"/Groups/{group_id}").send(scim).status_code == 204
    assert jc("DELETE", f"/Users/{user['id']}").send(scim).status_code == 204

    assert (User.objects.count(), ScimGroup.objects.count()) == (users, groups)  # nothing left behind
    assert [e[:3] for e in mark.events()] == [
        ("user_create_provision", "success", TEST_EMAIL),
        ("group_create_provision", "success", "JumpCloud Test Group"),
        ("group_delete_provision", "success", "JumpCloud Test Group"),
        ("user_delete_provision", "success", TEST_EMAIL),
    ]


def test_a_group_of_the_same_name_is_taken_over_not_duplicated(jumpcloud, make_ssogroup, mark):
    scim = jumpcloud
    alice = body_of(jc("POST", "/Users", user_body("alice@example.com")).send(scim))
    bob = body_of(jc("POST", "/Users", user_body("bob@example.com", role="templates")).send(scim))
    existing = body_of(jc("POST", "/Groups", group_body("Engineering", alice["id"])).send(scim))
    # Another SSO group's token (another IdP connection of the same account) has its own "Engineering".
    other_group = make_ssogroup(scim.account)
    admin = User.objects.get(account=scim.account, sso_group=None)
    token, plaintext = scim_token_create(account=scim.account, sso_group=other_group, label="Okta", created_by=admin)
    theirs = Scim(Client(), plaintext, scim.account, other_group, token).create_group("Engineering")
    mark()

    # JumpCloud looks the name up first: it finds this token's group only, and manages it from now on.
    found = jc("GET", '/Groups?filter=displayName eq "Engineering"').send(scim)
    assert [r["id"] for r in body_of(found)["Resources"]] == [existing["id"]]
    patch = jc("PATCH", f"/Groups/{existing['id']}",
               '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":['
               f'{{"op":"add","path":"members","value":[{{"value":"{bob["id"]}"}}]}}]}}')  # fmt: skip
    response = patch.send(scim)
    assert response.status_code == 200, response.content
    assert sorted(m["value"] for m in body_of(response)["members"]) == sorted([alice["id"], bob["id"]])
    assert ScimGroup.objects.filter(sso_group=scim.group, display_name="Engineering").count() == 1
    assert ScimGroup.objects.get(scim_id=theirs["id"]).memberships.count() == 0  # the neighbour's is untouched
    assert mark.events() == [("group_update_provision", "success", "Engineering",
                              {"members_added": [stored(bob["id"]).pk]})]  # fmt: skip

    # Renaming is supported; deleting the managed group deletes it here, and only it.
    rename = jc("PATCH", f"/Groups/{existing['id']}",
                '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
                '"Operations":[{"op":"replace","path":"displayName","value":"Platform"}]}')  # fmt: skip
    assert body_of(rename.send(scim))["displayName"] == "Platform"
    assert jc("DELETE", f"/Groups/{existing['id']}").send(scim).status_code == 204
    assert ScimGroup.objects.filter(scim_id=theirs["id"]).exists()
    assert User.objects.filter(scim_id__in=[alice["id"], bob["id"]], is_active=True).count() == 2


def test_deprovisioning_deactivates_and_ends_the_users_sessions(jumpcloud, mark):
    scim = jumpcloud
    user = body_of(jc("POST", "/Users", user_body("carol@example.com")).send(scim))
    browser = Client()
    browser.force_login(stored(user["id"]))
    assert browser.get("/api/v1/session").json()["authenticated"] is True
    mark()

    deprovision = jc("PATCH", f"/Users/{user['id']}",
                     '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
                     '"Operations":[{"op":"replace","value":{"active":false}}]}')  # fmt: skip
    response = deprovision.send(scim)

    assert response.status_code == 200
    assert body_of(response)["active"] is False
    row = stored(user["id"])
    assert (row.is_active, row.role, row.sso_group) == (False, "developer", scim.group)  # kept, not deleted
    assert mark.events() == [("user_deprovision", "success", "carol@example.com", {"is_active": False})]
    assert browser.get("/api/v1/session").status_code == 401
    # Reassigned later: JumpCloud reactivates the same user.
    again = jc("PUT", f"/Users/{user['id']}", user_body("carol@example.com", active="true")).send(scim)
    assert (again.status_code, body_of(again)["active"], stored(user["id"]).is_active) == (200, True, True)
