"""Never a 500: hostile or odd input on every endpoint answers a SCIM error (or succeeds) and writes nothing bad."""

import pytest

from accounts.models import Event, User

from .conftest import GROUP_SCHEMA, USER_SCHEMA, patch_body

NUL = "\x00"
NASTY_FILTERS = [
    f'userName eq "a{NUL}b"',
    "userName eq 1" + "0" * 5000,
    'meta.created gt "2020-13-45T00:00:00Z"',
    'meta.created gt "2020-01-01"',
    'id eq "' + "f" * 36 + '"',
    "emails[value pr] and groups pr",
    'groups.display co "x" or members pr',
    '"just a string"',
    "((((",
    "]",
    "userName eq true",
    "urn:ietf:params:scim:schemas:core:2.0:User eq 1",
    'userName eq "\\ud800"',
    "not(not(not(userName pr)))",
    'emails[type eq "work"] and emails[type eq "home"]',
    'members[value eq "x"]',
    'meta.version eq "W/x"',
]
NASTY_USERS = [
    {"schemas": [USER_SCHEMA], "userName": f"nul{NUL}"},
    {"schemas": [USER_SCHEMA], "userName": "x", "nickName": f"a{NUL}"},
    {"schemas": [USER_SCHEMA], "userName": "x", "emails": [{"type": "work"}]},
    {"schemas": [USER_SCHEMA], "userName": "x", "emails": [{"value": "a@b.co", "type": "t" * 60}]},
    {"schemas": [USER_SCHEMA], "userName": "x", "emails": [{"value": "a" * 250 + "@b.co"}]},
    {"schemas": [USER_SCHEMA], "userName": "x" * 151},
    {"schemas": [USER_SCHEMA], "userName": "x", "externalId": "e" * 256},
    {"schemas": [USER_SCHEMA], "userName": "x", "name": {"givenName": "g" * 151}},
    {"schemas": [USER_SCHEMA], "userName": "x", "x509Certificates": [{"value": 12}]},
    {"schemas": [USER_SCHEMA, USER_SCHEMA], "userName": None},
    {"schemas": "urn:ietf:params:scim:schemas:core:2.0:User", "userName": "x"},
    {"schemas": [1], "userName": "x"},
    {"schemas": [USER_SCHEMA], "userName": "x", "title": "\ud800"},
]
NASTY_PATCHES = [
    patch_body({"op": "add", "path": 'emails[type eq "other"].display', "value": "no value"}),
    patch_body({"op": "replace", "path": f"title{NUL}", "value": "x"}),
    patch_body({"op": "replace", "path": "name.givenName.extra", "value": "x"}),
    patch_body({"op": "replace", "path": 'emails[type eq "work"].value.more', "value": "x"}),
    patch_body({"op": "replace", "path": "emails[]", "value": "x"}),
    patch_body({"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "value": "x"}),
    patch_body({"op": "add", "path": 12, "value": "x"}),
    patch_body({"op": "remove", "path": "urn:nope:attr"}),
    patch_body({"op": "add", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": 5}}),
    patch_body({"op": "replace", "path": "emails", "value": 12}),
    patch_body({"op": "replace", "path": 'emails[value eq "bob@example.com"]', "value": "plain"}),
    patch_body({"op": "add", "path": "name", "value": ["x"]}),
    patch_body(*[{"op": "add", "path": "title", "value": "t"}] * 1001),
]


@pytest.fixture
def target(scim):
    return scim.create_user("bob@example.com", emails=[{"value": "bob@example.com", "type": "work"}])


@pytest.mark.parametrize("filter_", NASTY_FILTERS)
def test_nasty_filters(scim, target, filter_):
    for response in (scim.get("/Users", {"filter": filter_}), scim.get("/Groups", {"filter": filter_}),
                     scim.post("/.search", {"filter": filter_})):  # fmt: skip
        assert response.status_code in (200, 400), response.content
        if response.status_code == 400:
            assert response.json()["scimType"] in ("invalidFilter", "tooMany")  # tooMany: over a limit


@pytest.mark.parametrize("body", NASTY_USERS)
def test_nasty_user_bodies(scim, target, body):
    users = User.objects.count()
    response = scim.post("/Users", body)
    assert response.status_code == 400, response.content
    assert response.json()["scimType"] in ("invalidValue", "invalidSyntax")
    put = scim.put(f"/Users/{target['id']}", body)
    assert put.status_code == 400, put.content
    assert User.objects.count() == users
    assert scim.get(f"/Users/{target['id']}").json() == target


@pytest.mark.parametrize("body", NASTY_PATCHES)
def test_nasty_patches(scim, target, body):
    response = scim.patch(f"/Users/{target['id']}", body)
    assert response.status_code == 400, response.content
    assert scim.get(f"/Users/{target['id']}").json() == target


@pytest.mark.parametrize("path", [f"/Users/{NUL}", "/Users/%00", "/Groups/" + "9" * 500, "/Users/../../etc/passwd",
                                  "/Schemas/%ff", "/ResourceTypes/" + "x" * 3000])  # fmt: skip
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_nasty_urls(scim, path, method):
    response = scim.get(path) if method == "GET" else scim.send(method, path, {"schemas": [GROUP_SCHEMA]})
    assert response.status_code in (404, 405), response.content
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert NUL not in "".join(Event.objects.values_list("target", flat=True))


NASTY_PARAMS = [
    {"startIndex": "9" * 30},
    {"count": "-1"},
    {"count": "1e3"},
    {"attributes": 'urn:nope,,name..x,emails[type eq "x"]'},
    {"excludedAttributes": "id,schemas,meta.version"},
    {"sortBy": "urn:nope"},
]


@pytest.mark.parametrize("params", NASTY_PARAMS)
def test_nasty_list_parameters(scim, target, params):
    response = scim.get("/Users", params)
    assert response.status_code in (200, 400), response.content


def test_read_only_and_empty_values_are_ignored_not_errors(scim):
    body = scim.create_user("y@example.com", groups=[{"value": "nope"}], emails=[None, [], {}], meta={"x": 1})
    assert "groups" not in body and "emails" not in body
