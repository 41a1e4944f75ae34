"""GET /Users with filter, paging, sorting, attributes; POST /Users/.search and /.search."""

import pytest

from accounts.models import Event, User

from .conftest import ENTERPRISE, LIST, SPARKPOST, USER_SCHEMA, error


@pytest.fixture
def people(scim):
    """Four users with distinct attributes, created in this order (the group lets SCIM assign admin)."""
    scim.group.scim_roles = ["admin", "developer", "templates", "reporting"]
    scim.group.save(update_fields=["scim_roles"])
    docs = [
        scim.create_user("alice@example.com", name={"givenName": "Alice", "familyName": "Archer"}, title="CTO",
                         externalId="EXT-1", emails=[{"value": "alice@example.com", "type": "work", "primary": True},
                                                     {"value": "alice@home.org", "type": "home"}],
                         **{"schemas": [USER_SCHEMA, SPARKPOST], SPARKPOST: {"role": "admin"}}),
        scim.create_user("bob@example.com", name={"givenName": "Bob", "familyName": "Baker"}, active=False,
                         emails=[{"value": "bob@corp.example", "type": "work"}]),
        scim.create_user("carol@sample.org", displayName="Carol C", externalId="ext-1",
                         emails=[{"value": "carol@example.com", "type": "home"}]),
        scim.create_user("dave@sample.org", title="Engineer"),
    ]  # fmt: skip
    return {d["userName"].split("@")[0]: d for d in docs}


def names(response) -> list[str]:
    """userNames in the response, leaving out the account's own admin (made by the account factory)."""
    assert response.status_code == 200, response.content
    return [r["userName"] for r in response.json()["Resources"] if not r["userName"].startswith("admin")]


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ('userName eq "ALICE@example.com"', ["alice@example.com"]),
        ('userName Eq "alice@example.com"', ["alice@example.com"]),
        ('userName ne "alice@example.com"', ["bob@example.com", "carol@sample.org", "dave@sample.org"]),
        ('userName co "SAMPLE"', ["carol@sample.org", "dave@sample.org"]),
        ('userName sw "b"', ["bob@example.com"]),
        ('userName ew ".ORG"', ["carol@sample.org", "dave@sample.org"]),
        ('userName gt "bob@example.com"', ["carol@sample.org", "dave@sample.org"]),
        ('userName ge "bob@example.com"', ["bob@example.com", "carol@sample.org", "dave@sample.org"]),
        ('userName lt "bob@example.com"', ["alice@example.com"]),
        ('userName le "bob@example.com"', ["alice@example.com", "bob@example.com"]),
        ("title pr", ["alice@example.com", "dave@sample.org"]),
        ("not (title pr)", ["bob@example.com", "carol@sample.org"]),
        ("active eq false", ["bob@example.com"]),
        ('active eq "True"', ["alice@example.com", "carol@sample.org", "dave@sample.org"]),
        ('externalId eq "EXT-1"', ["alice@example.com"]),  # caseExact
        ('name.givenName eq "bob" or displayName eq "carol c"', ["bob@example.com", "carol@sample.org"]),
        ('title pr and userName sw "d" or userName sw "a"', ["alice@example.com", "dave@sample.org"]),
        ('title pr and (userName sw "d" or userName sw "b")', ["dave@sample.org"]),
        ('emails[type eq "work" and value co "@example.com"]', ["alice@example.com"]),
        ('emails[type eq "home"]', ["alice@example.com", "carol@sample.org"]),
        # Entra's matching filter: the type and the value must hold for the same email, not any two.
        ('emails[type eq "work"].value eq "ALICE@example.com"', ["alice@example.com"]),
        ('emails[type eq "work"].value eq "alice@home.org"', []),
        ('emails[type eq "home"].value eq "carol@example.com"', ["carol@sample.org"]),
        ('emails.value eq "CAROL@example.com"', ["carol@sample.org"]),
        ('emails co "corp"', ["bob@example.com"]),
        ("emails pr", ["alice@example.com", "bob@example.com", "carol@sample.org"]),
        ('not (emails[type eq "work"])', ["carol@sample.org", "dave@sample.org"]),
        (f'{SPARKPOST}:role eq "ADMIN"', ["alice@example.com"]),
        (f'{USER_SCHEMA}:userName eq "dave@sample.org"', ["dave@sample.org"]),
        ('meta.created ge "2000-01-01T00:00:00Z"', ["alice@example.com", "bob@example.com", "carol@sample.org",
                                                     "dave@sample.org"]),
        ('meta.lastModified lt "2000-01-01T00:00:00Z"', []),
        ('id eq "not-a-uuid"', []),
    ],
)  # fmt: skip
def test_filters(scim, people, filter_, expected):
    assert names(scim.get("/Users", {"filter": filter_})) == expected


def test_filter_by_id(scim, people):
    assert names(scim.get("/Users", {"filter": f'id eq "{people["bob"]["id"]}"'})) == ["bob@example.com"]


def test_list_response_is_a_whole_list_document(scim, people):
    response = scim.get("/Users", {"filter": 'userName eq "dave@sample.org"'})
    assert response.json() == {"schemas": [LIST], "totalResults": 1, "startIndex": 1, "itemsPerPage": 1,
                               "Resources": [people["dave"]]}  # fmt: skip
    assert not Event.objects.filter(event="user_lookup_provision").exists()  # reads write nothing


def test_list_is_scoped_to_the_tokens_account(scim, other_scim, people):
    other_scim.create_user("zed@example.com")
    assert "zed@example.com" not in names(scim.get("/Users"))
    assert names(other_scim.get("/Users")) == ["zed@example.com"]
    assert scim.get("/Users", {"filter": 'userName eq "zed@example.com"'}).json()["totalResults"] == 0


def test_paging_and_sorting(scim, people):
    page = scim.get("/Users", {"sortBy": "userName", "sortOrder": "descending", "startIndex": 2, "count": 2}).json()
    total = User.objects.filter(account=scim.account, sso_group=scim.group).count()  # not the password admin
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (total, 2, 2)
    assert [r["userName"] for r in page["Resources"]] == ["carol@sample.org", "bob@example.com"]
    counted = scim.get("/Users", {"count": 0}).json()
    assert counted == {"schemas": [LIST], "totalResults": total, "startIndex": 1, "itemsPerPage": 0, "Resources": []}
    assert scim.get("/Users", {"startIndex": -5, "count": 1}).json()["startIndex"] == 1
    by_name = scim.get("/Users", {"sortBy": "name.familyName", "filter": "name.familyName pr"})
    assert names(by_name) == ["alice@example.com", "bob@example.com"]


def test_count_is_capped_at_max_results(scim, people, monkeypatch):
    monkeypatch.setattr("scim.query.MAX_RESULTS", 2)
    page = scim.get("/Users", {"count": 1000}).json()
    assert page["itemsPerPage"] == 2


def test_attributes_and_excluded_attributes(scim, people):
    alice = people["alice"]
    only = scim.get(f"/Users/{alice['id']}", {"attributes": "userName,name.givenName,emails.value"}).json()
    assert only == {"schemas": alice["schemas"], "id": alice["id"], "userName": "alice@example.com",
                    "name": {"givenName": "Alice"},
                    "emails": [{"value": "alice@example.com"}, {"value": "alice@home.org"}]}  # fmt: skip
    without = scim.get(f"/Users/{alice['id']}", {"excludedAttributes": f"emails,meta,{SPARKPOST},id"}).json()
    assert without == {k: v for k, v in alice.items() if k not in ("emails", "meta", SPARKPOST)}
    listed = scim.get("/Users", {"attributes": "externalId", "filter": 'externalId eq "EXT-1"'}).json()
    assert listed["Resources"] == [{"schemas": alice["schemas"], "id": alice["id"], "externalId": "EXT-1"}]


def test_post_search_on_users_and_on_the_root(scim, people):
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": 'userName sw "c"',
              "attributes": ["userName"], "startIndex": 1, "count": 10}  # fmt: skip
    response = scim.post("/Users/.search", search)
    assert response.status_code == 200
    assert response.json()["Resources"] == [
        {"schemas": [USER_SCHEMA], "id": people["carol"]["id"], "userName": "carol@sample.org"}
    ]
    group = scim.create_group("Crew")
    root = scim.post("/.search", {**search, "filter": None, "attributes": ["displayName", "userName"]}).json()
    ids = [r["id"] for r in root["Resources"]]
    assert people["carol"]["id"] in ids and group["id"] in ids
    assert root["totalResults"] == User.objects.filter(sso_group=scim.group).count() + 1


@pytest.mark.parametrize(
    ("params", "detail", "scim_type"),
    [
        ({"filter": 'userName eq'}, "Invalid filter: unexpected end of filter", "invalidFilter"),
        ({"filter": 'userName xx "a"'}, "Invalid filter: expected an operator after 'userName' but found 'xx'",
         "invalidFilter"),
        ({"filter": 'shoeSize eq 9'}, "Unknown attribute 'shoeSize'.", "invalidFilter"),
        ({"filter": '(userName eq "a"'}, "Invalid filter: unexpected end of filter", "invalidFilter"),
        ({"filter": 'userName eq "a")'}, "Invalid filter: unexpected ')'", "invalidFilter"),
        ({"filter": "active gt true"}, "Invalid filter: 'active' is boolean: use eq or ne with true or false",
         "invalidFilter"),
        ({"filter": "userName eq 42"}, "Invalid filter: 'userName' must be compared with a string", "invalidFilter"),
        ({"filter": 'meta.created gt "yesterday"'}, "Invalid filter: 'meta.created' is a dateTime: compare with eq, "
         "ne, gt, ge, lt or le and an ISO 8601 value", "invalidFilter"),
        ({"filter": 'nickName eq "x"'}, "Invalid filter: filtering on 'nickName' is not supported; filterable: id, "
         "externalId, userName, displayName, title, name.givenName, name.familyName, active, meta.created, "
         "meta.lastModified, urn:ietf:params:scim:schemas:extension:sparkpost:2.0:User:role, emails, emails.value, "
         "emails.type, emails.display, emails.primary, groups, groups.value, groups.display", "invalidFilter"),
        ({"filter": 'emails[type eq "work"'}, "Invalid filter: unexpected end of filter", "invalidFilter"),
        ({"filter": 'emails[emails[type eq "a"]]'}, "Unknown attribute 'emails.emails'.", "invalidFilter"),
        ({"filter": 'userName eq "a" & 1'}, "Invalid filter: unexpected character at position 17: '& 1'",
         "invalidFilter"),
        ({"filter": f'{ENTERPRISE}:nope eq "x"'}, f"Unknown attribute '{ENTERPRISE}:nope'.", "invalidFilter"),
        ({"sortBy": "emails"}, "Cannot sort by 'emails'; sortable attributes: id, externalId, userName, displayName, "
         "title, name.givenName, name.familyName, active, meta.created, meta.lastModified, "
         "urn:ietf:params:scim:schemas:extension:sparkpost:2.0:User:role.", "invalidValue"),
        ({"sortOrder": "sideways"}, "sortOrder must be ascending or descending.", "invalidValue"),
        ({"count": "ten"}, "count must be an integer.", "invalidValue"),
        ({"startIndex": "1.5"}, "startIndex must be an integer.", "invalidValue"),
        ({"attributes": "userName", "excludedAttributes": "name"},
         "Use either 'attributes' or 'excludedAttributes', not both.", "invalidValue"),
    ],
)  # fmt: skip
def test_invalid_list_parameters_are_400(scim, people, params, detail, scim_type):
    response = scim.get("/Users", params)
    assert response.status_code == 400
    assert response.json() == error(400, detail, scim_type)


@pytest.mark.parametrize("stored", ["Élise.Ørsted@example.com", "ÅSA@EXAMPLE.COM", "zoë@example.com"])
def test_a_username_filter_finds_exactly_the_names_the_uniqueness_constraint_counts_as_taken(scim, stored):
    """JumpCloud looks a user up by userName before creating it: a lookup that misses a name the
    database then refuses as taken would make every create of that user fail. So the filter and the
    unique constraint fold case the same way (the database's LOWER), on SQLite (ASCII only) as on
    PostgreSQL (Unicode)."""
    scim.create_user(stored)
    variants = {stored, stored.lower(), stored.upper(), stored.swapcase()}
    for value in sorted(variants):
        found = scim.get("/Users", {"filter": f'userName eq "{value}"'}).json()["totalResults"]
        created = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": value})
        assert (found, created.status_code) in ((1, 409), (0, 201)), (value, found, created.status_code)
        if created.status_code == 201:
            scim.delete(f"/Users/{created.json()['id']}")
    assert scim.get("/Users", {"filter": f'userName eq "{stored}"'}).json()["totalResults"] == 1
