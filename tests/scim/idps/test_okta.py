"""Okta, as its own material publishes its requests.

Sources:
- "Okta SCIM 2.0 SPEC Test", the Runscope suite Okta's guide "Test your SCIM API"
  (https://developer.okta.com/docs/guides/build-provisioning-integration/test-scim-api/) tells integrators to
  download and run. The steps below are quoted from that export (as kept in BerriAI/litellm,
  tests/scim_tests/scim_e2e_test.json): note, method, URL, headers and body, ``{{variables}}`` and all.
- "Okta and SCIM Version 2.0" (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20), the
  requests of its sections Create the User, Retrieve a specific User, Update the User (PUT), Update a
  specific User (PATCH), Create Groups, Retrieve Groups, Update a specific Group name, Update specific
  Group membership and Delete a specific Group. Those requests show no Content-Type and are sent without.

Okta sends ``password`` on every create "even if password sync isn't enabled" (the reference's own note):
it is accepted and dropped, never stored nor returned, and the event says ``"password": "ignored"``.
"""

import json

import pytest

from accounts.models import Event, User
from scim.models import ScimGroup
from tests.scim.conftest import GROUP_SCHEMA, LIST, USER_SCHEMA, error, meta

from .conftest import Wire, body_of, stored

RUNSCOPE = (("Accept-Charset", "utf-8"), ("Accept", "application/scim+json"), ("User-Agent", "OKTA SCIM Integration"))
RUNSCOPE_JSON = "application/scim+json; charset=utf-8"
OKTA_CLIENT = (("User-Agent", "Okta SCIM Client 1.0.0"),)
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

# The Runscope suite's variables, as an integrator fills them in.
SPEC_VALUES = {
    "{{randomUsername}}": "okta.spec.user@example.com",
    "{{randomUsernameCaps}}": "OKTA.SPEC.USER@EXAMPLE.COM",
    "{{randomGivenName}}": "Spec",
    "{{randomFamilyName}}": "Tester",
    "{{randomEmail}}": "okta.spec.user@example.com",
    "{{InvalidUserEmail}}": "nobody.here@example.com",
    "{{UserIdThatDoesNotExist}}": "010101010101010101",
}

# Okta's reference, "Create the User" (with its password).
CREATE_USER = Wire(
    "POST",
    "/Users",
    """{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "test.user@okta.local",
    "name": {
        "givenName": "Test",
        "familyName": "User"
    },
    "emails": [{
        "primary": true,
        "value": "test.user@okta.local",
        "type": "work"
    }],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": true
}""",
    headers=OKTA_CLIENT,
)
OKTA_USER_ID = "23a35c27-23d3-4c03-b4c5-6443c09e7173"  # the id the reference's answers carry
OTHER_USER_ID = "89bb1940-b905-4575-9e7f-6f887cfb368e"
OKTA_GROUP_ID = "abf4dd94-a4c0-4f67-89c9-76b03340cb9b"


def _no_password_anywhere(user: User) -> None:
    """The password is nowhere: not a usable password, not in the stored attributes, not in any event."""
    assert not user.has_usable_password()
    assert "1mz050nq" not in json.dumps(user.scim_attributes)
    assert "password" not in user.scim_attributes
    assert not any("1mz050nq" in json.dumps(e.changes) + e.reason for e in Event.objects.all())


@pytest.fixture
def okta_user(scim) -> dict:
    response = CREATE_USER.send(scim)
    assert response.status_code == 201, response.content
    return body_of(response)


def test_create_with_the_password_okta_always_sends_is_201_and_the_password_is_dropped(scim, mark):
    mark()
    response = CREATE_USER.send(scim)

    assert response.status_code == 201, response.content
    body = body_of(response)
    user = stored(body["id"])
    assert body == {
        "schemas": [USER_SCHEMA],
        "id": str(user.scim_id),
        "externalId": "00ujl29u0le5T6Aj10h7",
        "userName": "test.user@okta.local",
        "name": {"givenName": "Test", "familyName": "User"},
        "displayName": "Test User",
        "locale": "en-US",
        "active": True,
        "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
        "meta": meta("User", user, body),
    }
    assert (user.username, user.email, user.first_name, user.last_name, user.external_id, user.is_active) == (
        "test.user@okta.local", "test.user@okta.local", "Test", "User", "00ujl29u0le5T6Aj10h7", True)  # fmt: skip
    assert (user.sso_group, user.role) == (scim.group, "reporting")
    _no_password_anywhere(user)
    [(event, outcome, target, changes)] = mark.events()
    assert (event, outcome, target) == ("user_create_provision", "success", "test.user@okta.local")
    assert changes["password"] == "ignored"
    assert (changes["username"], changes["first_name"], changes["external_id"]) == (
        "test.user@okta.local", "Test", "00ujl29u0le5T6Aj10h7")  # fmt: skip
    # Never returned, even when asked for by name.
    read = scim.get(f"/Users/{user.scim_id}", {"attributes": "password,userName"}).json()
    assert read == {"schemas": [USER_SCHEMA], "id": str(user.scim_id), "userName": "test.user@okta.local"}


def test_the_spec_test_steps_in_order(scim, okta_user, mark):
    """Every request step of the SPEC Test, in its order, with its assertions and a few of ours."""
    swap = dict(SPEC_VALUES)

    # "Required Test: Test Users endpoint": Okta's user is already there (the suite needs one).
    response = Wire("GET", "/Users?count=1&startIndex=1", content_type=RUNSCOPE_JSON, headers=RUNSCOPE).send(scim)
    assert response.status_code == 200
    page = body_of(response)
    assert page["schemas"] == [LIST]
    assert (page["itemsPerPage"], page["startIndex"], page["totalResults"]) == (1, 1, 1)
    first = page["Resources"][0]
    assert first["id"] == okta_user["id"]
    assert first["name"]["familyName"] and first["name"]["givenName"] and first["userName"]
    assert first["active"] is True and first["emails"][0]["value"] == "test.user@okta.local"
    swap["{{ISVUserid}}"] = first["id"]

    # "Required Test: Get Users/{{id}} "
    response = Wire("GET", "/Users/{{ISVUserid}}", content_type=RUNSCOPE_JSON, headers=RUNSCOPE).send(scim, swap)
    assert response.status_code == 200
    assert body_of(response) == okta_user

    mark()
    # "Required Test: Test invalid User by username"
    response = Wire("GET", '/Users?filter=userName eq "{{InvalidUserEmail}}"', content_type=RUNSCOPE_JSON,
                    headers=RUNSCOPE).send(scim, swap)  # fmt: skip
    assert response.status_code == 200
    assert body_of(response) == {"schemas": [LIST], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0,
                                 "Resources": []}  # fmt: skip

    # "Required Test: Test invalid User by ID"
    response = Wire("GET", "/Users/{{UserIdThatDoesNotExist}}", content_type=RUNSCOPE_JSON, headers=RUNSCOPE).send(
        scim, swap
    )
    assert response.status_code == 404
    assert body_of(response) == {
        "schemas": [ERROR],
        "status": "404",
        "detail": "Resource 010101010101010101 not found.",
    }

    # "Required Test: Make sure random user doesn't exist"
    response = Wire("GET", '/Users?filter=userName eq "{{randomEmail}}"', content_type=RUNSCOPE_JSON,
                    headers=RUNSCOPE).send(scim, swap)  # fmt: skip
    assert (response.status_code, body_of(response)["totalResults"]) == (200, 0)
    # Reads write nothing, except a failed lookup's event (the 404).
    assert mark.events() == [("user_lookup_provision", "failure", "010101010101010101", {})]

    # "Required Test: Create Okta user with realistic values"
    create = Wire(
        "POST",
        "/Users",
        '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{{randomUsername}}","name":{"givenName":"{{randomGivenName}}","familyName":"{{randomFamilyName}}"},"emails":[{"primary":true,"value":"{{randomEmail}}","type":"work"}],"displayName":"{{randomGivenName}} {{randomFamilyName}}","active":true}',  # noqa: E501
        content_type="application/json",
        headers=(("Accept", "application/scim+json; charset=utf-8"),),
    )
    response = create.send(scim, swap)
    assert response.status_code == 201, response.content
    created = body_of(response)
    assert created["active"] is True and created["id"]
    assert (created["name"]["familyName"], created["name"]["givenName"]) == ("Tester", "Spec")
    assert USER_SCHEMA in created["schemas"] and created["userName"] == "okta.spec.user@example.com"
    spec_user = stored(created["id"])
    assert (spec_user.username, spec_user.display_name, spec_user.sso_group) == (
        "okta.spec.user@example.com", "Spec Tester", scim.group)  # fmt: skip
    [(event, outcome, target, changes)] = mark.events()
    assert (event, outcome, target, "password" in changes) == (
        "user_create_provision", "success", "okta.spec.user@example.com", False)  # fmt: skip
    swap["{{idUserOne}}"] = created["id"]

    # "Required Test: Verify that user was created"
    response = Wire("GET", "/Users/{{idUserOne}}", content_type=RUNSCOPE_JSON, headers=RUNSCOPE).send(scim, swap)
    assert response.status_code == 200
    assert body_of(response) == created

    # "Required Test: Expect failure when recreating user with same values"
    recreate = Wire("POST", "/Users", create.body.replace('"value":"{{randomEmail}}"', '"value":"{{randomUsername}}"'),
                    content_type="application/json", headers=create.headers)  # fmt: skip
    users = User.objects.count()
    response = recreate.send(scim, swap)
    assert response.status_code == 409
    assert body_of(response) == error(409, "A user with userName 'okta.spec.user@example.com' already exists.",
                                      "uniqueness")  # fmt: skip
    assert User.objects.count() == users
    [(event, outcome, target, _changes)] = mark.events()
    assert (event, outcome, target) == ("user_create_provision", "failure", "okta.spec.user@example.com")

    # "Required Test: Username Case Sensitivity Check": userName is caseExact=false, so the user is found.
    response = Wire("GET", '/Users?filter=userName eq "{{randomUsernameCaps}}"', content_type=RUNSCOPE_JSON,
                    headers=RUNSCOPE).send(scim, swap)  # fmt: skip
    assert response.status_code == 200
    assert [r["id"] for r in body_of(response)["Resources"]] == [created["id"]]

    # "Optional Test: Verify Groups endpoint"
    response = Wire("GET", "/Groups", content_type=RUNSCOPE_JSON, headers=RUNSCOPE).send(scim)
    assert response.status_code == 200
    assert body_of(response) == {"schemas": [LIST], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0,
                                 "Resources": []}  # fmt: skip

    # "Required Test: Check status 401"
    response = Wire("GET", '/Users?filter=userName eq "{{randomUsernameCaps}}"', content_type=RUNSCOPE_JSON,
                    headers=RUNSCOPE).send(scim, swap, authorization="non-token")  # fmt: skip
    assert response.status_code == 401
    assert body_of(response) == error(401, "Authentication required: send 'Authorization: Bearer <SCIM token>'.")
    assert response["WWW-Authenticate"].startswith("Bearer")

    # "Required Test: Check status 404"
    response = Wire("GET", "/Users/00919288221112222", content_type=RUNSCOPE_JSON, headers=RUNSCOPE).send(scim)
    assert response.status_code == 404
    assert body_of(response) == {"schemas": [ERROR], "status": "404", "detail": "Resource 00919288221112222 not found."}


def test_reference_user_lifecycle_lookup_create_read_put_deactivate(scim, mark):
    # Determine if the User already exists
    lookup = Wire("GET", "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100",
                  headers=OKTA_CLIENT)  # fmt: skip
    response = lookup.send(scim)
    assert response.status_code == 200
    assert body_of(response) == {"schemas": [LIST], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0,
                                 "Resources": []}  # fmt: skip

    created = body_of(CREATE_USER.send(scim))
    swap = {OKTA_USER_ID: created["id"]}
    assert [r["id"] for r in body_of(lookup.send(scim))["Resources"]] == [created["id"]]

    # Retrieve a specific User
    response = Wire("GET", f"/Users/{OKTA_USER_ID}", headers=OKTA_CLIENT).send(scim, swap)
    assert (response.status_code, body_of(response)) == (200, created)

    # Update the User (PUT): Okta sends the whole user back, with groups and meta it read.
    mark()
    put = Wire(
        "PUT",
        f"/Users/{OKTA_USER_ID}",
        """{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
    "userName": "test.user@okta.local",
    "name": {
        "givenName": "Another",
        "middleName": "Excited",
        "familyName": "User"
    },
    "emails": [{
        "primary": true,
        "value": "test.user@okta.local",
        "type": "work",
        "display": "test.user@okta.local"
    }],
    "active": true,
    "groups": [],
    "meta": {
        "resourceType": "User"
    }
}""",
        headers=OKTA_CLIENT,
    )
    response = put.send(scim, swap)
    assert response.status_code == 200, response.content
    user = stored(created["id"])
    body = body_of(response)
    assert body == {
        "schemas": [USER_SCHEMA],
        "id": created["id"],
        "userName": "test.user@okta.local",
        "name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
        "active": True,
        "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work",
                    "display": "test.user@okta.local"}],
        "meta": meta("User", user, body),
    }  # fmt: skip
    # PUT replaces: what Okta left out (displayName, locale, externalId) is gone.
    assert (user.first_name, user.display_name, user.external_id) == ("Another", "", "")
    [(event, outcome, target, changes)] = mark.events()
    assert (event, outcome, target) == ("user_update_provision", "success", "test.user@okta.local")
    assert changes["first_name"] == "Another" and "password" not in changes

    # Update a specific User (PATCH): deactivation.
    deactivate = Wire(
        "PATCH",
        f"/Users/{OKTA_USER_ID}",
        """{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "replace",
        "value": {
            "active": false
        }
    }]
}""",
        headers=OKTA_CLIENT,
    )
    response = deactivate.send(scim, swap)
    assert response.status_code == 200
    assert body_of(response)["active"] is False
    assert stored(created["id"]).is_active is False
    assert mark.events() == [("user_deprovision", "success", "test.user@okta.local", {"is_active": False})]


def test_password_on_put_and_patch_is_dropped_too(scim, okta_user, mark):
    """Okta's custom (AIW) apps send every update as PUT, and "Syncing the user password" as PATCH when
    password sync is on. The reference quotes neither body with a password: these are the reference's
    create body with its id (PUT) and RFC 7644's path-less replace (PATCH), carrying Okta's password."""
    swap = {OKTA_USER_ID: okta_user["id"]}
    mark()
    put_body = CREATE_USER.body.replace('"schemas"', f'"id": "{OKTA_USER_ID}",\n    "schemas"', 1)
    put_body = put_body.replace('"givenName": "Test"', '"givenName": "Tess"')
    response = Wire("PUT", f"/Users/{OKTA_USER_ID}", put_body, headers=OKTA_CLIENT).send(scim, swap)
    assert response.status_code == 200, response.content
    assert "password" not in body_of(response)
    [(event, _outcome, _target, changes)] = mark.events()
    assert (event, changes["first_name"], changes["password"]) == ("user_update_provision", "Tess", "ignored")

    # A PATCH carrying only a password changes nothing, and says so.
    before = stored(okta_user["id"]).updated_at
    sync = Wire("PATCH", f"/Users/{OKTA_USER_ID}",
                '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
                '"Operations":[{"op":"replace","value":{"password":"t1meMa$heen"}}]}',
                content_type="application/scim+json", headers=OKTA_CLIENT)  # fmt: skip
    response = sync.send(scim, swap)
    assert response.status_code == 200
    assert "password" not in body_of(response)
    user = stored(okta_user["id"])
    assert user.updated_at == before and not user.has_usable_password()
    assert mark.events() == [("user_update_provision", "success", "test.user@okta.local", {"password": "ignored"})]
    # …and with a path.
    by_path = Wire("PATCH", f"/Users/{OKTA_USER_ID}",
                   '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
                   '"Operations":[{"op":"replace","path":"password","value":"t1meMa$heen"}]}',
                   content_type="application/scim+json", headers=OKTA_CLIENT)  # fmt: skip
    assert by_path.send(scim, swap).status_code == 200
    assert mark.events() == [("user_update_provision", "success", "test.user@okta.local", {"password": "ignored"})]
    _no_password_anywhere(stored(okta_user["id"]))
    assert "t1meMa$heen" not in json.dumps(stored(okta_user["id"]).scim_attributes)


def test_reference_group_push_rename_membership_and_delete(scim, okta_user, mark):
    other = scim.create_user("other.user@okta.local")
    swap = {OKTA_USER_ID: okta_user["id"], OTHER_USER_ID: other["id"]}

    # Create Groups
    mark()
    create = Wire(
        "POST",
        "/Groups",
        """{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "displayName": "Test SCIMv2",
    "members": []
}""",
        headers=OKTA_CLIENT,
    )
    response = create.send(scim)
    assert response.status_code == 201, response.content
    group = body_of(response)
    row = ScimGroup.objects.get(scim_id=group["id"])
    assert group == {"schemas": [GROUP_SCHEMA], "id": str(row.scim_id), "displayName": "Test SCIMv2",
                     "meta": meta("Group", row, group)}  # fmt: skip
    assert (row.account, row.sso_group) == (scim.account, scim.group)
    assert mark.events() == [("group_create_provision", "success", "Test SCIMv2",
                              {"displayName": "Test SCIMv2", "externalId": "", "members": 0})]  # fmt: skip
    swap[OKTA_GROUP_ID] = group["id"]

    # Retrieve Groups, by name
    response = Wire("GET", "/Groups?filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100",
                    headers=OKTA_CLIENT).send(scim)  # fmt: skip
    assert [r["id"] for r in body_of(response)["Resources"]] == [group["id"]]
    response = Wire("GET", f"/Groups/{OKTA_GROUP_ID}", headers=OKTA_CLIENT).send(scim, swap)
    assert (response.status_code, body_of(response)) == (200, group)

    # Update a specific Group name: Okta sends the id and the same name with every membership change.
    rename = Wire(
        "PATCH",
        f"/Groups/{OKTA_GROUP_ID}",
        """{
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{
        "op": "replace",
        "value": {
            "id": "abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
            "displayName": "Test SCIMv2"
        }
    }]
}""",
        headers=OKTA_CLIENT,
    )
    response = rename.send(scim, swap)
    assert response.status_code == 200
    assert body_of(response)["displayName"] == "Test SCIMv2"
    assert mark.events() == []  # nothing changed, nothing to record

    # Update specific Group membership (OIN: PATCH)
    membership = Wire(
        "PATCH",
        f"/Groups/{OKTA_GROUP_ID}",
        """{
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{
            "op": "remove",
            "path": "members[value eq \\"89bb1940-b905-4575-9e7f-6f887cfb368e\\"]"
            },
            {
            "op": "add",
            "path": "members",
            "value": [{
                "value": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
                "display": "test.user@okta.local"
            }]
        }]
    }""",
        headers=OKTA_CLIENT,
    )
    response = membership.send(scim, swap)
    assert response.status_code == 200, response.content
    assert [m["value"] for m in body_of(response)["members"]] == [okta_user["id"]]
    user_pk = stored(okta_user["id"]).pk
    assert [m.user_id for m in ScimGroup.objects.get(pk=row.pk).memberships.all()] == [user_pk]
    assert mark.events() == [("group_update_provision", "success", "Test SCIMv2", {"members_added": [user_pk]})]

    # Update specific Group membership (custom AIW apps: PUT)
    put = Wire(
        "PUT",
        f"/Groups/{OKTA_GROUP_ID}",
        """{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Test SCIMv2",
        "members": [
                {
                "value": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
                "display": "test.user@okta.local"
                }
        ]
    }""",
        headers=OKTA_CLIENT,
    )
    response = put.send(scim, swap)
    assert response.status_code == 200
    assert [m["value"] for m in body_of(response)["members"]] == [okta_user["id"]]
    assert mark.events() == []

    # The full push of the membership with replace
    replace = Wire(
        "PATCH",
        f"/Groups/{OKTA_GROUP_ID}",
        """{
  "schemas": [
    "urn:ietf:params:scim:api:messages:2.0:PatchOp"
  ],
  "Operations": [
    {
      "op": "replace",
      "path": "members",
      "value": [
        {
          "value": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
          "display": "test.user@okta.local"
        },
        {
          "value": "89bb1940-b905-4575-9e7f-6f887cfb368e",
          "display": "test.user@okta.local"
        }
      ]
    }
  ]
}""",
        headers=OKTA_CLIENT,
    )
    response = replace.send(scim, swap)
    assert response.status_code == 200
    assert [m["value"] for m in body_of(response)["members"]] == [okta_user["id"], other["id"]]
    other_pk = stored(other["id"]).pk
    assert mark.events() == [("group_update_provision", "success", "Test SCIMv2", {"members_added": [other_pk]})]

    # Delete a specific Group: the group goes, its users stay.
    response = Wire("DELETE", f"/Groups/{OKTA_GROUP_ID}", headers=OKTA_CLIENT).send(scim, swap)
    assert (response.status_code, response.content) == (204, b"")
    assert not ScimGroup.objects.filter(pk=row.pk).exists()
    assert User.objects.filter(scim_id__in=[okta_user["id"], other["id"]]).count() == 2
    assert mark.events() == [("group_delete_provision", "success", "Test SCIMv2", {})]
