"""The work of the filter parser, the PATCH applier and the projection grows at most linearly with
their input (docs/security.md, "Bounded work"): the same input at 1x and 8x its size may cost at
most 16x the function calls.

Costs are operation counts (cProfile's call count, C functions included), never the wall clock, so
a busy machine cannot fail these and a quadratic change cannot pass them: the members a PATCH adds
are compared against members whose ``__eq__`` is Python code, so a list scan would be counted.
"""

import cProfile
import pstats
import uuid
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from scim.constants import PATCH_SCHEMA, USER_SCHEMA
from scim.filter_match import matches
from scim.filter_q import to_q
from scim.filters import parse, parse_value_filter
from scim.group_patch import group_patched
from scim.paths import resolve
from scim.query import Projection, list_params
from scim.resource_types import USER

GROWTH = 8
LINEAR = 2 * GROWTH  # loosely: constant overheads and dict resizes never double the work per item
cost_settings = settings(derandomize=True, database=None, deadline=None, max_examples=15)


def calls(work: Callable[[], object]) -> int:
    """How many function calls ``work`` makes (Python and C)."""
    profile = cProfile.Profile()
    profile.enable()
    try:
        work()
    finally:
        profile.disable()
    return pstats.Stats(profile).total_calls


def assert_linear(small: int, large: int) -> None:
    assert large <= LINEAR * small, f"{GROWTH}x the input cost {large / small:.1f}x the calls ({small} -> {large})"


TERMS = st.sampled_from([
    'userName eq "bjensen"', "title pr", 'emails[type eq "work" and value co "@example"]', "not (active eq true)",
    'name.givenName sw "B"', 'meta.created gt "2020-01-01T00:00:00Z"', 'emails co "x"', "(displayName pr)",
])  # fmt: skip


@cost_settings
@given(terms=st.lists(TERMS, min_size=3, max_size=6), connector=st.sampled_from([" and ", " or "]))
def test_filter_parsing_and_translation_grow_linearly(terms, connector):
    def work(times: int) -> Callable[[], object]:
        text = connector.join(terms * times)
        return lambda: to_q(parse(text, USER), USER)

    assert_linear(calls(work(2)), calls(work(2 * GROWTH)))


@cost_settings
@given(terms=st.lists(st.sampled_from(['type eq "work"', "primary eq true", 'value co "@"', "display pr"]),
                      min_size=2, max_size=5), connector=st.sampled_from([" and ", " or "]))  # fmt: skip
def test_a_patch_path_value_filter_grows_linearly(terms, connector):
    emails = resolve("emails", USER)
    value = {"value": "b@example.com", "type": "work", "primary": True, "display": "B"}

    def work(times: int) -> Callable[[], object]:
        text = connector.join(terms * times)
        return lambda: matches(parse_value_filter(text, emails), value)

    assert_linear(calls(work(3)), calls(work(3 * GROWTH)))


class Member(dict):
    """A stored member whose equality is Python code, so every comparison is a counted call."""

    def __eq__(self, other: object) -> bool:
        return dict.__eq__(self, other)

    __hash__ = None


@cost_settings
@given(
    size=st.integers(min_value=8, max_value=100),
    form=st.sampled_from(["add", "add without path", "replace", "remove listed", "remove one by one"]),
    repeated=st.integers(min_value=0, max_value=8),
)
def test_a_members_patch_grows_linearly(size, form, repeated):
    """A group of n members, and a PATCH naming n members (some already in it): n and 8n. Removing
    them one operation each (members[value eq "…"]) is n operations, each in its own time."""

    def work(n: int) -> Callable[[], object]:
        stored = [Member(value=str(uuid.uuid4()), type="User") for _ in range(n)]
        sent = [{"value": m["value"]} for m in stored[: n * repeated // 8]]
        sent += [{"value": str(uuid.uuid4())} for _ in range(n - len(sent))]
        operations = {
            "add": [{"op": "add", "path": "members", "value": sent}],
            "add without path": [{"op": "add", "value": {"members": sent}}],
            "replace": [{"op": "replace", "path": "members", "value": sent}],
            "remove listed": [{"op": "remove", "path": "members", "value": sent}],
            "remove one by one": [{"op": "remove", "path": f'members[value eq "{m["value"]}"]'} for m in sent],
        }[form]
        doc = {"displayName": "G", "members": stored}
        return lambda: group_patched(doc, {"schemas": [PATCH_SCHEMA], "Operations": operations})

    assert_linear(calls(work(size)), calls(work(size * GROWTH)))


NAMES = st.sampled_from([
    "userName", "emails", "emails.value", "EMAILS.type", "name.givenName", "name", "title", "active", "id",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "noSuchAttribute", "groups.display",
])  # fmt: skip


def _user_doc(i: int) -> dict:
    return {
        "schemas": [USER_SCHEMA], "id": str(i), "userName": f"u{i}@example.com", "title": "Guide", "active": True,
        "name": {"givenName": "B", "familyName": "J"},
        "emails": [{"value": f"u{i}@example.com", "type": "work", "primary": True}, {"value": f"h{i}@home.org"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Tours"},
        "meta": {"resourceType": "User", "version": 'W/"x"'},
    }  # fmt: skip


@cost_settings
@given(names=st.lists(NAMES, min_size=1, max_size=12), param=st.sampled_from(["attributes", "excludedAttributes"]))
def test_a_projection_grows_linearly_in_names_and_resources_together(names, param):
    """n names over n resources and 8n names over 8n resources: resolving the names per resource
    would cost 64x."""

    def work(times: int) -> Callable[[], object]:
        docs = [_user_doc(i) for i in range(len(names) * times)]

        def project() -> None:
            projection = Projection.of(list_params({param: ",".join(names * times)}), USER)
            for doc in docs:
                projection.apply(doc)

        return project

    assert_linear(calls(work(1)), calls(work(GROWTH)))
