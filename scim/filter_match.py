"""Evaluate a value filter against one value of a multi-valued attribute (PATCH paths, RFC 7644 §3.5.2)."""

from typing import Any

from scim.constants import INVALID_FILTER
from scim.errors import ScimError
from scim.filters import Compare, Logical, Node, Not, Present, ValuePath


def _norm(value: Any, case_exact: bool) -> Any:
    return value if case_exact or not isinstance(value, str) else value.lower()


def _compare(actual: Any, op: str, expected: Any, definition: dict[str, Any]) -> bool:
    if definition["type"] == "boolean" and isinstance(expected, str) and expected.lower() in ("true", "false"):
        expected = expected.lower() == "true"
    case_exact = definition.get("caseExact", False)
    if definition["type"] == "boolean":
        actual = bool(actual)
    elif actual is None:
        return op == "ne"
    a, e = _norm(actual, case_exact), _norm(expected, case_exact)
    if op in ("eq", "ne"):
        return (a == e) == (op == "eq")
    if op in ("co", "sw", "ew"):
        if not (isinstance(a, str) and isinstance(e, str)):
            raise ScimError(400, f"Invalid filter: {op} needs string values", INVALID_FILTER)
        return {"co": e in a, "sw": a.startswith(e), "ew": a.endswith(e)}[op]
    if type(a) is not type(e) or isinstance(a, bool):
        raise ScimError(400, f"Invalid filter: cannot order-compare {expected!r}", INVALID_FILTER)
    return {"gt": a > e, "ge": a >= e, "lt": a < e, "le": a <= e}[op]


def matches(node: Node, value: Any) -> bool:
    """True when one value (a dict of sub-attributes, or a plain value) satisfies ``node``."""
    if isinstance(node, Logical):
        left = matches(node.left, value)
        return (left and matches(node.right, value)) if node.op == "and" else (left or matches(node.right, value))
    if isinstance(node, Not):
        return not matches(node.expr, value)
    if isinstance(node, ValuePath):  # pragma: no cover - the parser refuses nested value filters
        raise ScimError(400, "Invalid filter: value filters cannot be nested", INVALID_FILTER)
    definition = node.path.sub or node.path.attr
    actual = value.get(definition["name"]) if isinstance(value, dict) else value
    if isinstance(node, Present):
        return actual not in (None, "", [], {})
    assert isinstance(node, Compare)
    return _compare(actual, node.op, node.value, definition)
