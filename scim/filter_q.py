"""Translate a parsed filter into a Django Q over indexed columns (never SQL text).

Only attributes with a column (or a row table) can be filtered; the others answer 400
invalidFilter rather than a slow scan of JSON. Strings compare through LOWER(), matching the
expression indexes, unless the schema says caseExact.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db.models import F, Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import (
    Contains,
    EndsWith,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
    StartsWith,
)
from django.utils.dateparse import parse_datetime

from accounts.models import UserEmail
from scim.constants import INVALID_FILTER, SPARKPOST_SCHEMA
from scim.errors import ScimError
from scim.filters import Compare, Logical, Node, Not, Present, ValuePath
from scim.models import ScimGroupMembership
from scim.resource_types import USER, ResourceType

_LOOKUPS = {
    "eq": Exact,
    "co": Contains,
    "sw": StartsWith,
    "ew": EndsWith,
    "gt": GreaterThan,
    "ge": GreaterThanOrEqual,
    "lt": LessThan,
    "le": LessThanOrEqual,
}


@dataclass(frozen=True)
class Column:
    field: str
    type: str = "string"  # string | boolean | datetime | uuid
    case_exact: bool = False
    related: str | None = None  # "emails" | "members" | "groups": the value lives in another table


_EMAIL = {"value": Column("value"), "type": Column("type"), "display": Column("display"),
          "primary": Column("primary", "boolean")}  # fmt: skip

USER_COLUMNS: dict[str, Column] = {
    "id": Column("scim_id", "uuid"),
    "externalId": Column("external_id", case_exact=True),
    "userName": Column("username"),
    "displayName": Column("display_name"),
    "title": Column("title"),
    "name.givenName": Column("first_name"),
    "name.familyName": Column("last_name"),
    "active": Column("is_active", "boolean"),
    "meta.created": Column("created_at", "datetime"),
    "meta.lastModified": Column("updated_at", "datetime"),
    f"{SPARKPOST_SCHEMA}:role": Column("role"),
    "emails": Column("value", related="emails"),
    **{f"emails.{k}": Column(c.field, c.type, related="emails") for k, c in _EMAIL.items()},
    "groups": Column("group__scim_id", "uuid", related="groups"),
    "groups.value": Column("group__scim_id", "uuid", related="groups"),
    "groups.display": Column("group__display_name", related="groups"),
}
GROUP_COLUMNS: dict[str, Column] = {
    "id": Column("scim_id", "uuid"),
    "externalId": Column("external_id", case_exact=True),
    "displayName": Column("display_name"),
    "meta.created": Column("created_at", "datetime"),
    "meta.lastModified": Column("updated_at", "datetime"),
    "members": Column("user__scim_id", "uuid", related="members"),
    "members.value": Column("user__scim_id", "uuid", related="members"),
}
_RELATED = {
    "emails": (UserEmail, "user"),
    "groups": (ScimGroupMembership, "user"),
    "members": (ScimGroupMembership, "group"),
}


def _fail(detail: str) -> ScimError:
    return ScimError(400, f"Invalid filter: {detail}", INVALID_FILTER)


def _column(key: str, resource_type: ResourceType) -> Column:
    columns = USER_COLUMNS if resource_type is USER else GROUP_COLUMNS
    if key not in columns:
        raise _fail(f"filtering on {key!r} is not supported; filterable: {', '.join(columns)}")
    return columns[key]


def _compare(col: Column, op: str, value: Any, key: str) -> Q:
    if col.type == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        if op not in ("eq", "ne") or not isinstance(value, bool):
            raise _fail(f"{key!r} is boolean: use eq or ne with true or false")
        return Q(**{col.field: value}) if op == "eq" else ~Q(**{col.field: value})
    if not isinstance(value, str):
        raise _fail(f"{key!r} must be compared with a string")
    if col.type == "uuid":
        if op not in ("eq", "ne"):
            raise _fail(f"{key!r} supports only eq and ne")
        try:
            match = Q(**{col.field: uuid.UUID(value)})
        except ValueError:
            match = Q(pk__in=[])  # not an id we ever issue: matches nothing
        return match if op == "eq" else ~match
    if col.type == "datetime":
        try:
            moment = parse_datetime(value)
        except ValueError:  # well-formed but out of range, e.g. month 13
            moment = None
        if moment is None or op in ("co", "sw", "ew"):
            raise _fail(f"{key!r} is a dateTime: compare with eq, ne, gt, ge, lt or le and an ISO 8601 value")
        if moment.tzinfo is None:  # a dateTime without a zone (or a bare date): read it as UTC
            moment = moment.replace(tzinfo=UTC)
        lhs, rhs = F(col.field), moment
    elif col.case_exact:
        lhs, rhs = F(col.field), value
    else:
        # Both sides through the database's LOWER, as the unique constraint and the indexes fold
        # them: a Python lower() disagreed with SQLite's ASCII-only LOWER, so "Élise" was not found
        # by its own name, and JumpCloud's create that followed met the constraint (409).
        lhs, rhs = Lower(col.field), Lower(Value(value))
    if op == "ne":
        return ~Q(Exact(lhs, rhs))
    return Q(_LOOKUPS[op](lhs, rhs))


def _present(col: Column) -> Q:
    if col.type == "string":
        return ~Q(**{col.field: ""})
    return Q(**{f"{col.field}__isnull": False})


@dataclass(frozen=True)
class _Related:
    """A condition on the rows of a related table, not yet turned into ``pk IN (…)``: an ``or`` of
    two on the same table becomes one subquery (200 ``emails co`` terms ran 200 before)."""

    relation: str
    inner: Q

    def q(self) -> Q:
        model, back = _RELATED[self.relation]
        # "pk IN (matching related rows)" lets the database start from the related rows' index; a
        # correlated EXISTS ran once per user on SQLite (8.6x slower, docs/performance.md). The outer
        # query stays scoped to one account, so only that account's resources can match.
        return Q(pk__in=model.objects.filter(self.inner).values(back))


def _q(part: "Q | _Related") -> Q:
    return part.q() if isinstance(part, _Related) else part


def _leaf(node: Compare | Present, resource_type: ResourceType) -> tuple[Q, str | None]:
    col = _column(node.path.key, resource_type)
    q = _present(col) if isinstance(node, Present) else _compare(col, node.op, node.value, node.path.key)
    return q, col.related


def _combined(node: Node, leaf: Callable[[Node], "Q | _Related"]) -> "Q | _Related":
    """``and``, ``or`` and ``not`` over what ``leaf`` makes of the other nodes. Any value of a
    multi-valued attribute matching one side or the other is a value matching either side, so an
    ``or`` of conditions on the same related table is one condition there."""
    if isinstance(node, Logical):
        left, right = _combined(node.left, leaf), _combined(node.right, leaf)
        if node.op == "or" and isinstance(left, _Related) and isinstance(right, _Related):
            if left.relation == right.relation:
                return _Related(left.relation, left.inner | right.inner)
        return _q(left) & _q(right) if node.op == "and" else _q(left) | _q(right)
    if isinstance(node, Not):
        return ~_q(_combined(node.expr, leaf))
    return leaf(node)


def to_q(node: Node, resource_type: ResourceType) -> Q:
    """The Q matching ``node``; a multi-valued attribute matches when any of its values does."""

    def leaf(node: Node) -> "Q | _Related":
        if isinstance(node, ValuePath):
            relation = _column(node.path.key, resource_type).related
            if relation is None:
                raise _fail(f"{node.path.key!r} cannot take a value filter")
            # A value filter's body: every leaf refers to the same row of the related table.
            return _Related(relation, _q(_combined(node.expr, lambda inner: _leaf(inner, resource_type)[0])))
        q, relation = _leaf(node, resource_type)
        return _Related(relation, q) if relation else q

    return _q(_combined(node, leaf))
