"""The filter parser on its own: grammar, precedence and the errors it reports (RFC 7644 §3.4.2.2)."""

import pytest

from scim.errors import ScimError
from scim.filter_match import matches
from scim.filters import Compare, Logical, Not, Present, ValuePath, parse, parse_value_filter
from scim.paths import resolve
from scim.resource_types import GROUP, USER


def shape(node):
    """A compact, comparable spelling of a parsed tree."""
    if isinstance(node, Compare):
        return (node.path.key, node.op, node.value)
    if isinstance(node, Present):
        return (node.path.key, "pr")
    if isinstance(node, Logical):
        return (node.op, shape(node.left), shape(node.right))
    if isinstance(node, Not):
        return ("not", shape(node.expr))
    if isinstance(node, ValuePath):
        return (node.path.key, "[]", shape(node.expr))
    raise AssertionError(node)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "bjensen"', ("userName", "eq", "bjensen")),
        ('USERNAME EQ "x"', ("userName", "eq", "x")),
        ('name.familyName co "O\'Malley"', ("name.familyName", "co", "O'Malley")),
        ('title pr', ("title", "pr")),
        ('a@b', None),
        ('userName eq "a" or userName eq "b" and title pr',
         ("or", ("userName", "eq", "a"), ("and", ("userName", "eq", "b"), ("title", "pr")))),
        ('(userName eq "a" or userName eq "b") and title pr',
         ("and", ("or", ("userName", "eq", "a"), ("userName", "eq", "b")), ("title", "pr"))),
        ('not (active eq false) and title pr', ("and", ("not", ("active", "eq", False)), ("title", "pr"))),
        ('emails[type eq "work" and value co "@example.com"]',
         ("emails", "[]", ("and", ("emails.type", "eq", "work"), ("emails.value", "co", "@example.com")))),
        ('emails[not (primary eq true)]', ("emails", "[]", ("not", ("emails.primary", "eq", True)))),
        ('userName eq "with \\"quotes\\" and \\u00e9"', ("userName", "eq", 'with "quotes" and é')),
        ('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7"',
         ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "eq", "7")),
        ('urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw "B"', ("name.givenName", "sw", "B")),
        ('meta.lastModified gt "2011-05-13T04:42:34Z"', ("meta.lastModified", "gt", "2011-05-13T04:42:34Z")),
        ("title eq null", ("title", "eq", None)),
        ("title eq 1.5e3", ("title", "eq", 1500.0)),
        # Entra's form, outside the grammar: the trailing sub-attribute is one more condition on the same value.
        ('emails[type eq "work"].value eq "a@b.c"',
         ("emails", "[]", ("and", ("emails.type", "eq", "work"), ("emails.value", "eq", "a@b.c")))),
        ('emails[type eq "work" or type eq "home"].value co "@b" and title pr',
         ("and", ("emails", "[]", ("and", ("or", ("emails.type", "eq", "work"), ("emails.type", "eq", "home")),
                                   ("emails.value", "co", "@b"))), ("title", "pr"))),
        ('emails[type eq "work"].primary pr', ("emails", "[]", ("and", ("emails.type", "eq", "work"),
                                                                ("emails.primary", "pr")))),
    ],
)  # fmt: skip
def test_parse(text, expected):
    if expected is None:
        with pytest.raises(ScimError):
            parse(text, USER)
    else:
        assert shape(parse(text, USER)) == expected


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", "Invalid filter: the filter is empty"),
        ("   ", "Invalid filter: the filter is empty"),
        ("not active eq true",
         "Invalid filter: 'not' must be followed by a filter in parentheses, e.g. not (title pr)"),
        ("userName", "Invalid filter: unexpected end of filter"),
        ('userName eq "a" and', "Invalid filter: unexpected end of filter"),
        ('userName eq "a" userName', "Invalid filter: unexpected 'userName'"),
        ("userName eq bareword", "Invalid filter: expected a value but found 'bareword'"),
        ('title[value eq "x"]', "Unknown attribute 'title.value'."),
        ('emails[type eq "a"].value',
         "Invalid filter: expected an operator after 'emails[…].value' but found the end of the filter"),
        ('emails[type eq "a"].value "x"',
         "Invalid filter: expected an operator after 'emails[…].value' but found '\"x\"'"),
        ('emails[type eq "a"]. value eq "x"', "Invalid filter: unexpected character at position 20: '. value eq'"),
        ('emails[type eq "a"].nope eq "x"', "Unknown attribute 'emails.nope'."),
        ('userName.value eq "x"', "Unknown attribute 'userName.value'."),
        ('userName eq "x"' + " and title pr" * 10, None),
        ('urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x"',
         "Unknown schema 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName'."),
    ],
)  # fmt: skip
def test_parse_errors(text, detail):
    if detail is None:
        parse(text, USER)  # long but fine
        return
    with pytest.raises(ScimError) as caught:
        parse(text, USER)
    assert (caught.value.status, caught.value.scim_type, caught.value.detail) == (400, "invalidFilter", detail)


def test_group_filters_resolve_group_attributes():
    assert shape(parse('members[value eq "abc"] and displayName sw "Eng"', GROUP)) == (
        "and", ("members", "[]", ("members.value", "eq", "abc")), ("displayName", "sw", "Eng"))  # fmt: skip


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ('type eq "WORK"', {"type": "work", "value": "a@b.c"}, True),  # caseExact=false
        ('type eq "work" and primary eq true', {"type": "work"}, False),
        ('type eq "work" and primary eq "True"', {"type": "work", "primary": True}, True),
        ('value co "@B."', {"value": "a@b.c"}, True),
        ('value sw "a" or type pr', {"value": "x"}, False),
        ("not (display pr)", {"value": "x", "display": ""}, True),
        ('value ne "x"', {"value": "y"}, True),
        ('value gt "m"', {"value": "z"}, True),
        ('value lt "m"', {}, False),
    ],
)
def test_value_filter_matching(text, value, expected):
    parent = resolve("emails", USER)
    assert matches(parse_value_filter(text, parent), value) is expected
