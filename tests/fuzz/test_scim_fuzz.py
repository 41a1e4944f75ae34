"""Fuzzing the SCIM API over HTTP with a real token: filters, PATCH operations and paths, User and
Group bodies. Properties: never a 500; a refusal is a SCIM error body and writes nothing."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import User
from tests.fuzz.conftest import GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA, assert_scim_answer, writes

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ATTRIBUTES = [
    "userName",
    "USERNAME",
    "name",
    "name.givenName",
    "name.familyName",
    "emails",
    "emails.value",
    "emails.type",
    "emails.primary",
    "active",
    "title",
    "displayName",
    "externalId",
    "nickName",
    "roles",
    "roles.value",
    "id",
    "meta.lastModified",
    "meta.created",
    "members",
    "members.value",
    f"{ENTERPRISE}:employeeNumber",
    f"{ENTERPRISE}:manager.value",
    f"{USER_SCHEMA}:name.givenName",
    "urn:unknown:schema:attr",
    "x.y.z",
    "",
]
OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Co"]
LITERALS = st.one_of(
    st.text(max_size=20).map(json.dumps),
    st.sampled_from(["true", "false", "null", "1", "-0", "1.5e3", "1e999", '"unterminated', "'single'", "[]"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(['"2011-05-13T04:42:34Z"', '"not-a-date"', '"bjensen@example.com"']),
)
attribute = st.sampled_from(ATTRIBUTES)
leaf = st.one_of(
    st.builds(lambda a, op, v: f"{a} {op} {v}", attribute, st.sampled_from(OPERATORS), LITERALS),
    attribute.map(lambda a: f"{a} pr"),
)
grammar_filters = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(lambda left, op, right: f"{left} {op} {right}", inner, st.sampled_from(["and", "or", "AND"]), inner),
        inner.map(lambda f: f"not ({f})"),
        inner.map(lambda f: f"({f})"),
        st.builds(lambda a, f: f"{a}[{f}]", st.sampled_from(["emails", "members", "roles", "name"]), inner),
    ),
    max_leaves=6,
)
token_soup = st.lists(
    st.sampled_from([*ATTRIBUTES, *OPERATORS, "and", "or", "not", "pr", "(", ")", "[", "]", '"a"', "true", "."]),
    max_size=12,
).map(" ".join)
filters = st.one_of(grammar_filters, token_soup, st.text(max_size=60))
paths = st.one_of(st.none(), attribute, grammar_filters.map(lambda f: f"emails[{f}].value"), st.text(max_size=30))

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(attribute, st.text(max_size=10)), inner, max_size=4),
    ),
    max_leaves=10,
)
emails = st.one_of(
    st.emails().map(lambda e: [{"value": e, "type": "work", "primary": True}]),
    json_values,
)
user_bodies = st.fixed_dictionaries(
    {},
    optional={
        "schemas": st.one_of(st.just([USER_SCHEMA]), st.just([USER_SCHEMA, ENTERPRISE]), json_values),
        "userName": st.one_of(st.emails(), st.text(max_size=40), json_values),
        "name": st.one_of(
            st.fixed_dictionaries({}, optional={"givenName": json_values, "familyName": st.text(max_size=20)}),
            json_values,
        ),
        "emails": emails,
        "active": st.one_of(st.booleans(), json_values),
        "externalId": json_values,
        "displayName": json_values,
        "title": json_values,
        "roles": st.one_of(st.just([{"value": "admin"}]), st.just([{"value": "reporting"}]), json_values),
        ENTERPRISE: json_values,
        "id": json_values,
        "meta": json_values,
    },
)
operations = st.fixed_dictionaries(
    {},
    optional={
        "op": st.one_of(st.sampled_from(["add", "replace", "remove", "Add", "REPLACE", "delete", ""]), json_values),
        "path": paths,
        "value": st.one_of(json_values, user_bodies),
    },
)
patch_bodies = st.one_of(
    st.builds(lambda ops: {"schemas": [PATCH_SCHEMA], "Operations": ops}, st.lists(operations, max_size=4)),
    st.fixed_dictionaries({}, optional={"schemas": json_values, "Operations": json_values}),
)
group_bodies = st.fixed_dictionaries(
    {},
    optional={
        "schemas": st.one_of(st.just([GROUP_SCHEMA]), json_values),
        "displayName": st.one_of(st.text(max_size=40), json_values),
        "members": st.one_of(st.lists(st.fixed_dictionaries({"value": json_values}), max_size=3), json_values),
        "externalId": json_values,
    },
)
raw_bodies = st.one_of(st.text(max_size=80), st.binary(max_size=80))


def _create_user(scim, name: str = "fuzz.target@example.com") -> str:
    response = scim.send("POST", "/Users", {"schemas": [USER_SCHEMA], "userName": name})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _row(user_id: str) -> dict:
    return User.objects.filter(scim_id=user_id).values().get()


@settings(max_examples=25)
@given(text=filters, start=st.one_of(st.none(), st.text(max_size=6)), count=st.one_of(st.none(), st.text(max_size=6)))
def test_filters_never_500_and_write_nothing(scim, text, start, count):
    params = {"filter": text}
    if start is not None:
        params["startIndex"] = start
    if count is not None:
        params["count"] = count
    for resource in ("/Users", "/Groups"):
        before, before_reads = writes(), writes(lookups=False)
        response = scim.get(resource, params)
        assert_scim_answer(response, before)
        assert response.status_code in (200, 400), (response.status_code, response.content[:300])
        assert writes(lookups=False) == before_reads  # a read writes at most its lookup event


@settings(max_examples=25)
@given(body=patch_bodies)
def test_patch_operations_and_paths(scim, body):
    user_id = getattr(scim, "target", None) or _create_user(scim)
    scim.target = user_id
    before, row = writes(), _row(user_id)
    response = scim.send("PATCH", f"/Users/{user_id}", body)
    assert_scim_answer(response, before)
    if response.status_code >= 400:
        assert _row(user_id) == row  # nothing of the user changed either


@settings(max_examples=25)
@given(body=user_bodies)
def test_user_bodies_on_create(scim, body):
    before = writes()
    response = scim.send("POST", "/Users", body)
    assert_scim_answer(response, before)
    if response.status_code == 201:
        assert User.objects.filter(scim_id=response.json()["id"], account=scim.account).exists()


@settings(max_examples=25)
@given(body=user_bodies)
def test_user_bodies_on_replace(scim, body):
    user_id = getattr(scim, "target", None) or _create_user(scim)
    scim.target = user_id
    before, row = writes(), _row(user_id)
    response = scim.send("PUT", f"/Users/{user_id}", body)
    assert_scim_answer(response, before)
    if response.status_code >= 400:
        assert _row(user_id) == row


@settings(max_examples=25)
@given(body=group_bodies, with_member=st.booleans())
def test_group_bodies(scim, body, with_member):
    if with_member:
        user_id = getattr(scim, "target", None) or _create_user(scim)
        scim.target = user_id
        body = {**body, "members": [{"value": user_id}]}
    before = writes()
    response = scim.send("POST", "/Groups", body)
    assert_scim_answer(response, before)


@settings(max_examples=25)
@given(raw=raw_bodies, method=st.sampled_from(["POST", "PUT", "PATCH"]))
def test_raw_bodies(scim, raw, method):
    user_id = getattr(scim, "target", None) or _create_user(scim)
    scim.target = user_id
    path = "/Users" if method == "POST" else f"/Users/{user_id}"
    before = writes()
    response = scim.send(method, path, raw)
    assert_scim_answer(response, before)
