"""Microsoft Entra ID's provisioning service, as Microsoft's own pages publish its requests.

Sources:
- "Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID"
  (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups),
  section "User operations" and "Group operations": Create User (with ``"roles": []``), Get User, Get User by
  query, Update User [Multi-valued properties] and [Single-valued properties], Disable User, Delete User,
  Create Group (listing ``http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group`` in
  ``schemas``), Get Group and Get Group by displayName (``excludedAttributes=members``), Update Group
  [Non-member attributes], [Add Members], [Remove Members], Delete Group. The same page says users must be
  queryable by ``userName`` or ``emails[type eq "work"]``: with the work email as the matching attribute
  Entra asks ``emails[type eq "work"].value eq "…"``.
- "Known issues and resolutions with SCIM 2.0 protocol compliance"
  (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility),
  every request body of "Flags to alter the SCIM behavior", without the ``aadOptscim062020`` flag (mixed-case
  ``op``, ``active`` as the string "False", member removal by value) and with it (a path-less replace whose
  value names dotted and URN-qualified attributes, ``members[value eq "…"]``).

The pages show the request line and body only; they are sent as application/scim+json (RFC 7644 §3.1),
the published ids swapped for ours.
"""

import json

import pytest

from accounts.models import User
from scim.models import ScimGroup
from tests.scim.conftest import ENTERPRISE, GROUP_SCHEMA, LIST, SPARKPOST, USER_SCHEMA, error, meta

from .conftest import Wire, body_of, stored

SCIM_JSON = "application/scim+json"


def entra(method: str, path: str, body: str = "") -> Wire:
    return Wire(method, path, body, content_type=SCIM_JSON if body else None)


CREATE_USER = entra(
    "POST",
    "/Users",
    """{
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
    "active": true,
    "emails": [{
        "primary": true,
        "type": "work",
        "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"
    }],
    "meta": {
        "resourceType": "User"
    },
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName"
    },
    "roles": []
}""",
)
CREATE_GROUP = entra(
    "POST",
    "/Groups",
    """{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {
        "resourceType": "Group"
    }
}""",  # noqa: E501
)
USER_ID = "5171a35d82074e068ce2"  # the ids the pages' requests carry, swapped for ours before sending
MULTI_ID = "6764549bef60420686bc"
GROUP_IDS = ("927fa2c08dcb4a7fae9e", "40734ae655284ad3abcc", "fa2ce26709934589afc5", "a99962b9f99d4c4fac67",
             "cdb1ce18f65944079d37")  # fmt: skip
MEMBER_ID = "f648f8d5ea4e4cd38e9c"
EMAIL = "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"


@pytest.fixture
def entra_user(scim) -> dict:
    response = CREATE_USER.send(scim)
    assert response.status_code == 201, response.content
    return body_of(response)


def test_create_user_with_the_enterprise_urn_and_empty_roles(scim, mark):
    mark()
    response = CREATE_USER.send(scim)

    assert response.status_code == 201, response.content
    body = body_of(response)
    user = stored(body["id"])
    assert body == {
        "schemas": [USER_SCHEMA],
        "id": str(user.scim_id),
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": EMAIL}],
        "meta": meta("User", user, body),
    }
    assert (user.email, user.role, user.sso_group, "roles" in user.scim_attributes) == (
        EMAIL, "reporting", scim.group, False)  # fmt: skip
    [(event, outcome, target, changes)] = mark.events()
    assert (event, outcome, target, "roles" in changes) == ("user_create_provision", "success", body["userName"], False)


def test_user_operations_of_the_tutorial(scim, entra_user, mark):
    swap = {USER_ID: entra_user["id"], MULTI_ID: entra_user["id"]}

    # Get User; and one that is not there (detail not required, status is).
    response = entra("GET", f"/Users/{USER_ID}").send(scim, swap)
    assert (response.status_code, body_of(response)) == (200, entra_user)
    response = entra("GET", "/Users/5171a35d82074e068ce2").send(scim)
    assert (response.status_code, body_of(response)["status"]) == (404, "404")

    # Get User by query; and by a name nobody has.
    response = entra("GET", '/Users?filter=userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"').send(scim)
    assert [r["id"] for r in body_of(response)["Resources"]] == [entra_user["id"]]
    response = entra("GET", '/Users?filter=userName eq "non-existent user"').send(scim)
    assert body_of(response) == {"schemas": [LIST], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0,
                                 "Resources": []}  # fmt: skip

    # Update User [Multi-valued properties]
    mark()
    multi = entra(
        "PATCH",
        f"/Users/{MULTI_ID}",
        """{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
            {
            "op": "Replace",
            "path": "emails[type eq \\"work\\"].value",
            "value": "updatedEmail@microsoft.com"
            },
            {
            "op": "Replace",
            "path": "name.familyName",
            "value": "updatedFamilyName"
            }
    ]
}""",
    )
    response = multi.send(scim, swap)
    assert response.status_code == 200, response.content
    body = body_of(response)
    assert (body["emails"], body["name"]["familyName"]) == (
        [{"primary": True, "type": "work", "value": "updatedEmail@microsoft.com"}], "updatedFamilyName")  # fmt: skip
    user = stored(entra_user["id"])
    assert (user.email, user.last_name) == ("updatedEmail@microsoft.com", "updatedFamilyName")
    [(event, _outcome, _target, changes)] = mark.events()
    assert (event, changes["last_name"], changes["email"]) == (
        "user_update_provision", "updatedFamilyName", "updatedEmail@microsoft.com")  # fmt: skip

    # Update User [Single-valued properties]
    single = entra(
        "PATCH",
        f"/Users/{USER_ID}",
        """{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "userName",
        "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    }]
}""",
    )
    response = single.send(scim, swap)
    assert response.status_code == 200
    assert stored(entra_user["id"]).username == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    assert [e[:3] for e in mark.events()] == [
        ("user_update_provision", "success", "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com")]  # fmt: skip

    # Disable User
    disable = entra(
        "PATCH",
        f"/Users/{USER_ID}",
        """{
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": false
        }
    ],
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ]
}""",
    )
    response = disable.send(scim, swap)
    assert (response.status_code, body_of(response)["active"]) == (200, False)
    assert stored(entra_user["id"]).is_active is False
    assert [e[0] for e in mark.events()] == ["user_deprovision"]

    # Delete User
    response = entra("DELETE", f"/Users/{USER_ID}").send(scim, swap)
    assert (response.status_code, response.content) == (204, b"")
    assert not User.objects.filter(scim_id=entra_user["id"]).exists()
    assert [e[:2] for e in mark.events()] == [("user_delete_provision", "success")]


def test_the_work_email_as_matching_attribute(scim, entra_user, mark):
    """``emails[type eq "work"].value eq "…"``: outside RFC 7644's grammar, read as one condition on one email."""
    mark()
    found = entra("GET", f'/Users?filter=emails[type eq "work"].value eq "{EMAIL}"').send(scim)
    assert found.status_code == 200, found.content
    assert [r["id"] for r in body_of(found)["Resources"]] == [entra_user["id"]]
    # Percent-encoded, as a client library sends it; the same answer.
    encoded = entra("GET", "/Users?filter=emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22"
                    + EMAIL.upper().replace("@", "%40") + "%22").send(scim)  # fmt: skip
    assert body_of(encoded) == body_of(found)
    # The address is there, but not as a work email: not a match.
    other = entra("GET", f'/Users?filter=emails[type eq "home"].value eq "{EMAIL}"').send(scim)
    assert body_of(other)["totalResults"] == 0
    assert mark.events() == []  # lookups that answer record nothing

    malformed = entra("GET", '/Users?filter=emails[type eq "work"].value "x@example.com"').send(scim)
    assert malformed.status_code == 400
    detail = "Invalid filter: expected an operator after 'emails[…].value' but found '\"x@example.com\"'"
    assert body_of(malformed) == error(400, detail, "invalidFilter")
    assert mark.events() == [("user_lookup_provision", "failure", 'emails[type eq "work"].value "x@example.com"', {})]


def test_group_operations_of_the_tutorial(scim, entra_user, mark):
    mark()
    response = CREATE_GROUP.send(scim)
    assert response.status_code == 201, response.content
    group = body_of(response)
    row = ScimGroup.objects.get(scim_id=group["id"])
    assert group == {"schemas": [GROUP_SCHEMA], "id": str(row.scim_id),
                     "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "displayName",
                     "meta": meta("Group", row, group)}  # fmt: skip
    assert mark.events() == [("group_create_provision", "success", "displayName",
                              {"displayName": "displayName", "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                               "members": 0})]  # fmt: skip
    swap = dict.fromkeys(GROUP_IDS, group["id"]) | {MEMBER_ID: entra_user["id"]}

    # Get Group and Get Group by displayName, members excluded.
    response = entra("GET", "/Groups/40734ae655284ad3abcc?excludedAttributes=members").send(scim, swap)
    assert (response.status_code, body_of(response)) == (200, group)
    response = entra("GET", '/Groups?excludedAttributes=members&filter=displayName eq "displayName"').send(scim)
    assert body_of(response)["Resources"] == [group]

    # Update Group [Non-member attributes]
    rename = entra(
        "PATCH",
        "/Groups/fa2ce26709934589afc5",
        """{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Replace",
        "path": "displayName",
        "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    }]
}""",
    )
    assert rename.send(scim, swap).status_code == 200
    new_name = "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    assert ScimGroup.objects.get(pk=row.pk).display_name == new_name
    assert mark.events() == [("group_update_provision", "success", new_name, {"displayName": new_name})]

    # Update Group [Add Members], with its "$ref": null
    add = entra(
        "PATCH",
        "/Groups/a99962b9f99d4c4fac67",
        """{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "Add",
        "path": "members",
        "value": [{
            "$ref": null,
            "value": "f648f8d5ea4e4cd38e9c"
        }]
    }]
}""",
    )
    response = add.send(scim, swap)
    assert response.status_code == 200, response.content
    user_pk = stored(entra_user["id"]).pk
    assert [m.user_id for m in row.memberships.all()] == [user_pk]
    assert mark.events() == [("group_update_provision", "success", new_name, {"members_added": [user_pk]})]
    # Read back without members, as Entra asks.
    response = entra("GET", "/Groups/40734ae655284ad3abcc?excludedAttributes=members").send(scim, swap)
    assert "members" not in body_of(response)

    # Update Group [Remove Members]: by value, as Entra sends it without the flag.
    remove = entra("PATCH", "/Groups/a99962b9f99d4c4fac67", add.body.replace('"op": "Add"', '"op": "Remove"'))
    response = remove.send(scim, swap)
    assert response.status_code == 200
    assert not row.memberships.exists()
    assert mark.events() == [("group_update_provision", "success", new_name, {"members_removed": [user_pk]})]

    # Delete Group
    response = entra("DELETE", "/Groups/cdb1ce18f65944079d37").send(scim, swap)
    assert (response.status_code, response.content) == (204, b"")
    assert not ScimGroup.objects.filter(pk=row.pk).exists() and User.objects.filter(pk=user_pk).exists()
    assert mark.events() == [("group_delete_provision", "success", new_name, {})]


def test_the_newer_entra_extension_urn_is_ignored_on_users_and_groups(scim, mark):
    """Extension URNs we do not keep, listed in ``schemas`` with no attributes, are accepted and ignored."""
    newer = "urn:ietf:params:scim:schemas:extension:Microsoft:Entra:2.0:User"
    mark()
    body = CREATE_USER.body.replace(f'"{ENTERPRISE}"]', f'"{ENTERPRISE}", "{newer}"]')
    response = entra("POST", "/Users", body).send(scim)
    assert response.status_code == 201, response.content
    assert body_of(response)["schemas"] == [USER_SCHEMA]
    group = CREATE_GROUP.body.replace("http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
                                      "urn:ietf:params:scim:schemas:extension:Microsoft:Entra:2.0:Group")  # fmt: skip
    response = entra("POST", "/Groups", group).send(scim)
    assert response.status_code == 201, response.content
    assert body_of(response)["schemas"] == [GROUP_SCHEMA]
    assert [e[:2] for e in mark.events()] == [("user_create_provision", "success"),
                                              ("group_create_provision", "success")]  # fmt: skip


# Known issues page: "Requests made to disable users", "…to add a single-value string attribute", "…to replace
# multiple attributes" and "…to remove a group member", each without and with the aadOptscim062020 flag.
DISABLE_WITHOUT_FLAG = """{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": "False"
        }
    ]
  }"""
DISABLE_WITH_FLAG = """{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "replace",
            "path": "active",
            "value": false
        }
    ]
  }"""
ADD_WITHOUT_FLAG = """{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
      {
        "op": "Add",
        "path": "nickName",
        "value": "Babs"
      }
    ]
  }"""
ADD_WITH_FLAG = """{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
      {
        "op": "add",
        "path": "nickName",
        "value": "Babs"
      }
    ]
  }"""
REPLACE_WITHOUT_FLAG = """{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "displayName",
            "value": "Pvlo"
        },
        {
            "op": "Replace",
            "path": "emails[type eq \\"work\\"].value",
            "value": "TestBcwqnm@test.microsoft.com"
        },
        {
            "op": "Replace",
            "path": "name.givenName",
            "value": "Gtfd"
        },
        {
            "op": "Replace",
            "path": "name.familyName",
            "value": "Pkqf"
        },
        {
            "op": "Replace",
            "path": "externalId",
            "value": "Eqpj"
        },
        {
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "value": "Eqpj"
        }
    ]
  }"""
REPLACE_WITH_FLAG = """{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "replace",
            "path": "emails[type eq \\"work\\"].value",
            "value": "TestMhvaes@test.microsoft.com"
        },
        {
            "op": "replace",
            "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"
            }
        }
    ]
  }"""
REMOVE_MEMBER_WITHOUT_FLAG = """{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Remove",
            "path": "members",
            "value": [
                {
                    "value": "u1091"
                }
            ]
        }
    ]
  }"""
REMOVE_MEMBER_WITH_FLAG = """{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "remove",
            "path": "members[value eq \\"7f4bc1a3-285e-48ae-8202-5accb43efb0e\\"]"
        }
    ]
  }"""


@pytest.mark.parametrize("body", [DISABLE_WITHOUT_FLAG, DISABLE_WITH_FLAG], ids=["string False", "boolean false"])
def test_disable_with_and_without_the_flag(scim, entra_user, mark, body):
    mark()
    response = entra("PATCH", f"/Users/{USER_ID}", body).send(scim, {USER_ID: entra_user["id"]})
    assert (response.status_code, body_of(response)["active"]) == (200, False)
    assert stored(entra_user["id"]).is_active is False
    assert mark.events() == [("user_deprovision", "success", entra_user["userName"], {"is_active": False})]


@pytest.mark.parametrize("body", [ADD_WITHOUT_FLAG, ADD_WITH_FLAG], ids=["Add", "add"])
def test_add_a_single_value_with_and_without_the_flag(scim, entra_user, mark, body):
    mark()
    response = entra("PATCH", f"/Users/{USER_ID}", body).send(scim, {USER_ID: entra_user["id"]})
    assert (response.status_code, body_of(response)["nickName"]) == (200, "Babs")
    assert stored(entra_user["id"]).scim_attributes["nickName"] == "Babs"
    [(event, _outcome, _target, changes)] = mark.events()
    assert (event, changes["scim_attributes"]["nickName"]) == ("user_update_provision", "Babs")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (REPLACE_WITHOUT_FLAG, ("Pvlo", "TestBcwqnm@test.microsoft.com", "Gtfd", "Pkqf", "Eqpj", "Eqpj")),
        (REPLACE_WITH_FLAG, ("Bjfe", "TestMhvaes@test.microsoft.com", "Kkom", "Unua",
                             "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", "Aklq")),
    ],
    ids=["one operation each", "path-less value object"],
)  # fmt: skip
def test_replace_multiple_attributes_with_and_without_the_flag(scim, entra_user, mark, body, expected):
    response = entra("PATCH", f"/Users/{USER_ID}", body).send(scim, {USER_ID: entra_user["id"]})
    assert response.status_code == 200, response.content
    user = stored(entra_user["id"])
    employee = user.scim_attributes[ENTERPRISE]["employeeNumber"]
    assert (user.display_name, user.email, user.first_name, user.last_name, user.external_id, employee) == expected
    assert body_of(response)[ENTERPRISE] == {"employeeNumber": expected[5]}


@pytest.mark.parametrize(
    ("body", "published"),
    [(REMOVE_MEMBER_WITHOUT_FLAG, "u1091"), (REMOVE_MEMBER_WITH_FLAG, "7f4bc1a3-285e-48ae-8202-5accb43efb0e")],
    ids=["by value", "by filter"],
)
def test_remove_a_member_with_and_without_the_flag(scim, entra_user, mark, body, published):
    stays = scim.create_user("stays@example.com")
    group = scim.create_group("Sales", members=[entra_user["id"], stays["id"]])
    mark()
    response = entra("PATCH", f"/Groups/{GROUP_IDS[0]}", body).send(
        scim, {GROUP_IDS[0]: group["id"], published: entra_user["id"]}
    )
    assert response.status_code == 200, response.content
    assert [m["value"] for m in body_of(response)["members"]] == [stays["id"]]
    row = ScimGroup.objects.get(scim_id=group["id"])
    assert [m.user.scim_id for m in row.memberships.all()] == [stored(stays["id"]).scim_id]
    removed = stored(entra_user["id"]).pk
    assert mark.events() == [("group_update_provision", "success", "Sales", {"members_removed": [removed]})]


# "Customize user provisioning attribute-mappings" (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/
# customize-application-attributes), "Provisioning a role to a SCIM app": SingleAppRoleAssignment's example output.
ROLE_IN_ROLES = """{
      "schemas": [
          "urn:ietf:params:scim:schemas:core:2.0:User"
      ],
      "externalId": "alias",
      "userName": "alias@contoso.OnMicrosoft.com",
      "active": true,
      "displayName": "First Name Last Name",
      "meta": {
           "resourceType": "User"
      },
      "roles": [
         {
               "primary": true,
               "type": "WindowsAzureActiveDirectoryRole",
               "value": "Admin"
         }
      ]
   }"""
MSG_ROLES = (
    "The standard 'roles' attribute is not kept: a user's role is set with "
    "urn:ietf:params:scim:schemas:extension:sparkpost:2.0:User:role (one of admin, developer, templates, "
    "reporting), within the roles this SSO group allows."
)


def test_a_role_in_the_standard_roles_is_refused_naming_the_extension(make_scim, mark):
    scim = make_scim(scim_roles=["admin", "developer", "templates", "reporting"])
    users = User.objects.count()
    mark()

    response = entra("POST", "/Users", ROLE_IN_ROLES).send(scim)

    assert response.status_code == 400
    assert body_of(response) == error(400, MSG_ROLES, "invalidValue")
    assert User.objects.count() == users
    assert mark.events() == [("user_create_provision", "failure", "alias@contoso.OnMicrosoft.com", {})]
    # The way the message names works, within the group's allow-list ("Admin" is read as admin).
    mapped = json.loads(ROLE_IN_ROLES)
    del mapped["roles"]
    mapped["schemas"].append(SPARKPOST)
    mapped[SPARKPOST] = {"role": "Admin"}
    mapped = json.dumps(mapped)
    created = entra("POST", "/Users", mapped).send(scim)
    assert created.status_code == 201, (mapped, created.content)
    assert body_of(created)[SPARKPOST] == {"role": "admin"}
    assert stored(body_of(created)["id"]).role == "admin"


def test_roles_in_a_patch_is_refused_and_the_stored_role_stays(scim, entra_user, mark):
    """AppRoleAssignmentsComplex updates roles by PATCH (the same page: "PATCH requests don't contain type");
    the body is RFC 7644's add of that value."""
    mark()
    patch = entra("PATCH", f"/Users/{USER_ID}",
                  '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
                  '"Operations":[{"op":"Add","path":"roles","value":[{"value":"Admin"}]}]}')  # fmt: skip
    response = patch.send(scim, {USER_ID: entra_user["id"]})
    assert response.status_code == 400
    assert body_of(response) == error(400, MSG_ROLES, "invalidPath")
    assert stored(entra_user["id"]).role == "reporting"
    assert mark.events() == [("user_update_provision", "failure", entra_user["id"], {})]
    # A path-less value carrying roles: the same answer.
    pathless = entra("PATCH", f"/Users/{USER_ID}",
                     '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
                     '"Operations":[{"op":"replace","value":{"roles":[{"value":"Admin"}]}}]}')  # fmt: skip
    assert body_of(pathless.send(scim, {USER_ID: entra_user["id"]})) == error(400, MSG_ROLES, "invalidPath")


def test_roles_stored_by_an_older_version_are_never_returned(scim, entra_user):
    User.objects.filter(scim_id=entra_user["id"]).update(scim_attributes={"roles": [{"value": "admin"}]})
    assert "roles" not in scim.get(f"/Users/{entra_user['id']}").json()
    response = entra("PATCH", f"/Users/{USER_ID}", ADD_WITH_FLAG).send(scim, {USER_ID: entra_user["id"]})
    assert response.status_code == 200 and "roles" not in body_of(response)
    assert stored(entra_user["id"]).scim_attributes == {"nickName": "Babs"}


# The same page, "Provisioning a custom extension attribute to a SCIM compliant application": its example user
# carries urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User with "CustomAttribute". As published
# the object ends in a trailing comma (not JSON); with it removed, the extension's attribute reaches us.
CUSTOM_EXTENSION = """{
     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
      "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"],
     "userName":"bjensen",
     "externalId":"bjensen",
     "name":{
       "formatted":"Ms. Barbara J Jensen III",
       "familyName":"Jensen",
       "givenName":"Barbara"
     },
     "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User": {
     "CustomAttribute": "701984",
   }
 }"""


def test_an_unknown_extension_carrying_attributes_is_refused_naming_it(scim, mark):
    users = User.objects.count()
    mark()
    as_published = entra("POST", "/Users", CUSTOM_EXTENSION).send(scim)
    assert (as_published.status_code, body_of(as_published)["scimType"]) == (400, "invalidSyntax")

    response = entra("POST", "/Users", CUSTOM_EXTENSION.replace('"701984",', '"701984"')).send(scim)

    assert response.status_code == 400
    urn = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
    detail = (f"'{urn}' carries attributes of a schema this server does not keep; the schemas of a User are "
              f"{USER_SCHEMA}, {ENTERPRISE}, {SPARKPOST}. Remove the attribute mapping in the identity provider "
              "(an extension URN listed in 'schemas' alone is fine).")  # fmt: skip
    assert body_of(response) == error(400, detail, "invalidValue")
    assert User.objects.count() == users
    # (Not JSON is refused before any operation begins: no event; the refusal names the user.)
    assert [e[:3] for e in mark.events()] == [("user_create_provision", "failure", "bjensen")]
    # The same URN in 'schemas' with nothing under it is fine.
    empty = CUSTOM_EXTENSION.replace('"CustomAttribute": "701984",', "")
    assert entra("POST", "/Users", empty).send(scim).status_code == 201


def test_when_the_core_urn_is_really_missing_the_message_says_so(scim, mark):
    only_entra = CREATE_GROUP.body.replace('"urn:ietf:params:scim:schemas:core:2.0:Group", ', "")
    mark()
    response = entra("POST", "/Groups", only_entra).send(scim)
    assert response.status_code == 400
    detail = (f"The 'schemas' attribute must list {GROUP_SCHEMA}; it lists "
              "'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'.")  # fmt: skip
    assert body_of(response) == error(400, detail, "invalidSyntax")
    assert not ScimGroup.objects.exists()
    assert mark.events() == [("group_create_provision", "failure", "displayName", {})]


def test_the_compliance_flag_on_the_tenant_url_changes_nothing(scim, entra_user):
    """With ``?aadOptscim062020`` on the Tenant URL the flag may reach us as a query parameter: ignored."""
    response = entra(
        "GET", '/Users?aadOptscim062020&filter=userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"'
    )
    found = response.send(scim)
    assert (found.status_code, [r["id"] for r in body_of(found)["Resources"]]) == (200, [entra_user["id"]])
    disable = entra("PATCH", f"/Users/{USER_ID}?aadOptscim062020", DISABLE_WITH_FLAG).send(
        scim, {USER_ID: entra_user["id"]}
    )
    assert (disable.status_code, stored(entra_user["id"]).is_active) == (200, False)
