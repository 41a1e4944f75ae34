"""Bounded work (docs/security.md): each limit of scim/constants.py refused before the work, with
400 tooMany, a detail naming the limit and its value, nothing written and the failure event recorded."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Event, User, UserEmail
from scim.constants import (
    MAX_ATTRIBUTE_NAMES,
    MAX_FILTER_DEPTH,
    MAX_FILTER_LENGTH,
    MAX_FILTER_TERMS,
    MAX_MEMBERS_PER_REQUEST,
    MAX_PATCH_OPERATIONS,
    MAX_VALUES_PER_ATTRIBUTE,
)
from scim.models import ScimGroup, ScimGroupMembership

from .conftest import GROUP_SCHEMA, USER_SCHEMA, error, patch_body

TERMS = f"Invalid filter: more than {MAX_FILTER_TERMS} terms, the limit per filter."
LENGTH = f"Invalid filter: longer than {MAX_FILTER_LENGTH} characters, the limit per filter."
DEPTH = f"Invalid filter: nested deeper than {MAX_FILTER_DEPTH} levels, the limit per filter."


def assert_too_many(response, detail: str, event: str, target: str = "") -> None:
    """400 tooMany with ``detail``, and exactly one failure event ``event`` saying so."""
    assert response.status_code == 400, response.content
    assert response.json() == error(400, detail, "tooMany")
    failure = Event.objects.get(event=event, outcome="failure")
    stored_target = target[: Event._meta.get_field("target").max_length]  # long filters are cut to the column
    assert (failure.reason, failure.target) == (f"400 tooMany {detail}", stored_target)


@pytest.fixture
def user(scim):
    return scim.create_user("bjensen@example.com", emails=[{"value": "bjensen@example.com", "type": "work"}])


def _user_unchanged(user_doc) -> None:
    stored = User.objects.get(scim_id=user_doc["id"])
    assert stored.updated_at.isoformat().replace("+00:00", "Z") == user_doc["meta"]["lastModified"]
    assert list(UserEmail.objects.filter(user=stored).values_list("value", flat=True)) == ["bjensen@example.com"]
    assert not Event.objects.filter(event="user_update_provision", outcome="success").exists()


@pytest.mark.parametrize(
    ("value_filter", "detail"),
    [
        # The 3,000-term chain that was a RecursionError (500): refused by its length before it is read.
        (" and ".join(['type eq "work"'] * 3000), LENGTH),
        (" and ".join(["type pr"] * (MAX_FILTER_TERMS + 1)), TERMS),
        ("(" * (MAX_FILTER_DEPTH + 1) + "type pr" + ")" * (MAX_FILTER_DEPTH + 1), DEPTH),
    ],
    ids=["length", "terms", "depth"],
)
def test_a_patch_path_value_filter_over_a_limit_is_refused_and_writes_nothing(scim, user, value_filter, detail):
    path = f"emails[{value_filter}].value"
    response = scim.patch(f"/Users/{user['id']}", patch_body({"op": "replace", "path": path, "value": "x@y.example"}))
    assert_too_many(response, detail, "user_update_provision", user["id"])
    _user_unchanged(user)


def test_a_patch_path_value_filter_at_the_term_limit_is_applied(scim, user):
    value_filter = " and ".join(['type eq "work"'] * MAX_FILTER_TERMS)
    assert len(value_filter) <= MAX_FILTER_LENGTH
    response = scim.patch(f"/Users/{user['id']}", patch_body(
        {"op": "replace", "path": f"emails[{value_filter}].value", "value": "b@new.example"}))  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["emails"] == [{"value": "b@new.example", "type": "work"}]


def test_a_list_filter_over_the_term_limit_is_refused(scim, user):
    text = " or ".join(["title pr"] * (MAX_FILTER_TERMS + 1))
    response = scim.get("/Users", {"filter": text})
    assert_too_many(response, TERMS, "user_lookup_provision", text)


def test_more_operations_than_the_limit_are_refused_before_any_is_applied(scim, user):
    operations = [{"op": "replace", "path": "title", "value": f"T{i}"} for i in range(MAX_PATCH_OPERATIONS + 1)]
    response = scim.patch(f"/Users/{user['id']}", patch_body(*operations))
    detail = (f"The PatchOp has {MAX_PATCH_OPERATIONS + 1} operations; the limit is {MAX_PATCH_OPERATIONS} "
              "operations per PATCH.")  # fmt: skip
    assert_too_many(response, detail, "user_update_provision", user["id"])
    _user_unchanged(user)


def _emails(count: int) -> list[dict[str, str]]:
    return [{"value": f"e{i}@example.com"} for i in range(count)]


def test_more_values_of_a_multi_valued_attribute_than_the_limit_are_refused_on_create(scim):
    response = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "many@example.com",
                                    "emails": _emails(MAX_VALUES_PER_ATTRIBUTE + 1)})  # fmt: skip
    detail = (f"Attribute 'emails' has {MAX_VALUES_PER_ATTRIBUTE + 1} values; the limit is "
              f"{MAX_VALUES_PER_ATTRIBUTE} values per multi-valued attribute.")  # fmt: skip
    assert_too_many(response, detail, "user_create_provision", "many@example.com")
    assert not User.objects.filter(username="many@example.com").exists()
    assert not UserEmail.objects.filter(value="e0@example.com").exists()


def test_a_patch_cannot_grow_an_attribute_past_the_limit(scim, user):
    """The user holds one email; adding the limit's worth in one operation makes one too many."""
    response = scim.patch(f"/Users/{user['id']}", patch_body(
        {"op": "add", "path": "emails", "value": _emails(MAX_VALUES_PER_ATTRIBUTE)}))  # fmt: skip
    detail = (f"Attribute 'emails' has {MAX_VALUES_PER_ATTRIBUTE + 1} values; the limit is "
              f"{MAX_VALUES_PER_ATTRIBUTE} values per multi-valued attribute.")  # fmt: skip
    assert_too_many(response, detail, "user_update_provision", user["id"])
    _user_unchanged(user)


def _members(count: int) -> list[dict[str, str]]:
    return [{"value": str(uuid.uuid4())} for _ in range(count)]


def test_more_members_than_the_limit_in_one_create_are_refused_before_any_is_looked_up(scim):
    body = {"schemas": [GROUP_SCHEMA], "displayName": "Big", "members": _members(MAX_MEMBERS_PER_REQUEST + 1)}
    with CaptureQueriesContext(connection) as queries:
        response = scim.post("/Groups", body)
    detail = (f"The request names {MAX_MEMBERS_PER_REQUEST + 1} members; the limit is {MAX_MEMBERS_PER_REQUEST} "
              "members per request.")  # fmt: skip
    assert_too_many(response, detail, "group_create_provision", "Big")
    assert not ScimGroup.objects.exists()
    assert not any("accounts_user" in q["sql"] and "scim_id" in q["sql"] for q in queries.captured_queries)


def test_more_members_than_the_limit_across_one_patch_are_refused(scim):
    group = scim.create_group("Eng")
    half = MAX_MEMBERS_PER_REQUEST // 2 + 1
    response = scim.patch(f"/Groups/{group['id']}", patch_body(
        {"op": "add", "path": "members", "value": _members(half)},
        {"op": "add", "value": {"members": _members(half)}}))  # fmt: skip
    detail = f"The request names {2 * half} members; the limit is {MAX_MEMBERS_PER_REQUEST} members per request."
    assert_too_many(response, detail, "group_update_provision", group["id"])
    assert not ScimGroupMembership.objects.exists()
    assert ScimGroup.objects.get().updated_at.isoformat().replace("+00:00", "Z") == group["meta"]["lastModified"]


@pytest.mark.parametrize("param", ["attributes", "excludedAttributes"])
def test_more_attribute_names_than_the_limit_are_refused(scim, user, param):
    names = ",".join(["userName"] * (MAX_ATTRIBUTE_NAMES + 1))
    response = scim.get("/Users", {param: names})
    detail = f"{param} lists {MAX_ATTRIBUTE_NAMES + 1} attribute names; the limit is {MAX_ATTRIBUTE_NAMES} per request."
    assert_too_many(response, detail, "user_lookup_provision")
    response = scim.post("/Users/.search", {param: ["userName"] * (MAX_ATTRIBUTE_NAMES + 1)})
    assert response.json() == error(400, detail, "tooMany")


def test_attribute_names_at_the_limit_are_resolved_once(scim, user):
    names = ",".join(["userName", "emails.value", "EMAILS.VALUE"] * (MAX_ATTRIBUTE_NAMES // 3))
    response = scim.get("/Users", {"attributes": names})
    assert response.status_code == 200
    assert response.json()["Resources"] == [
        {"schemas": [USER_SCHEMA], "id": user["id"], "userName": "bjensen@example.com",
         "emails": [{"value": "bjensen@example.com"}]}]  # fmt: skip


@pytest.mark.plans
def test_an_or_of_emails_filters_is_one_subquery_not_one_per_term(scim, user):
    scim.create_user("other@example.com", emails=[{"value": "other@example.com"}])
    text = " or ".join(f'emails co "n{i}"' for i in range(MAX_FILTER_TERMS - 1)) + ' or emails co "bjensen@"'
    assert len(text) <= MAX_FILTER_LENGTH
    with CaptureQueriesContext(connection) as queries:
        response = scim.get("/Users", {"filter": text})
    assert [r["userName"] for r in response.json()["Resources"]] == ["bjensen@example.com"]
    page = next(q["sql"] for q in queries.captured_queries if "accounts_useremail" in q["sql"])
    assert page.count('FROM "accounts_useremail"') == 1  # one subquery over the emails, not one per term


def test_filters_at_the_limits_are_answered_not_crashed(scim, user):
    """At every limit at once, through the database: no recursion limit is reached below ours."""
    nested = "not (" * (MAX_FILTER_DEPTH - 1) + 'userName eq "nobody"' + ")" * (MAX_FILTER_DEPTH - 1)
    chain = " and ".join(["(title pr or emails[type pr and value pr])"] * ((MAX_FILTER_TERMS - 4) // 3))
    assert len(chain) <= MAX_FILTER_LENGTH
    for text, total in ((nested, 1), (chain, 1)):  # 49 nots: "not nobody"; every term holds for bjensen
        response = scim.get("/Users", {"filter": text})
        assert (response.status_code, response.json()["totalResults"]) == (200, total), response.content
