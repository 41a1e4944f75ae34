"""A group PATCH applied member by member (RFC 7644 §3.5.2).

A group may hold many more members than one request names, so its members are kept by value
while the operations run: an ``add`` inserts the members it names, a ``remove`` (by ``value`` list
or ``members[value eq "…"]``) drops them, each in the time of its own values, never a scan of the
whole list. The other operations (displayName, externalId) go through the generic applier.
"""

import uuid
from typing import Any

from scim import patch, validate
from scim.constants import INVALID_SYNTAX, MSG_PATCH_NO_VALUE, PATCH_SCHEMA
from scim.errors import ScimError
from scim.filters import Compare
from scim.resource_types import GROUP
from scim.schemas import find

MEMBERS = find(GROUP.attributes(GROUP.schema), "members")


def _key(value: Any) -> Any:
    """One member per user: ids compare as UUIDs (any case); anything else as itself."""
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return value
    return value if isinstance(value, int | float | bool | None) else repr(value)


class _Members:
    """The group's members by key, in order, changed one operation at a time."""

    def __init__(self, current: list[dict[str, Any]]):
        self.by_key: dict[Any, dict[str, Any]] = {}
        self.add(current)

    def add(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            # A member without a value is kept to be refused by name (scim.groups.to_fields).
            key = _key(item.get("value")) if "value" in item else ("no value", id(item))
            self.by_key.setdefault(key, item)

    def apply(self, op: str, path: str, value: Any, has_value: bool) -> None:
        if op != "remove" and not has_value:
            raise ScimError(400, MSG_PATCH_NO_VALUE.format(op=op), INVALID_SYNTAX)
        parsed, value_filter, sub = patch.parse_path(path, GROUP)
        if value_filter is None and parsed.sub is None:
            if op == "remove":
                if has_value and isinstance(value, list):  # Okta: remove the listed values
                    for item in value:
                        if isinstance(item, dict):
                            self.by_key.pop(_key(item.get("value")), None)
                else:
                    self.by_key.clear()
                return
            items = validate.coerce(value if isinstance(value, list) else [value], MEMBERS, "members") or []
            if op == "replace":
                self.by_key.clear()
            self.add(items)
            return
        if op == "remove" and sub is None and self._by_value(value_filter):
            self.by_key.pop(_key(value_filter.value), None)  # members[value eq "…"]: idempotent
            return
        # Any other form (a filter on another sub-attribute, a sub-attribute path): on the list.
        doc = {"members": list(self.by_key.values())}
        patch.Patcher(doc, GROUP).apply(op, path, value, has_value)
        self.by_key.clear()
        self.add(doc.get("members") or [])

    @staticmethod
    def _by_value(value_filter: Any) -> bool:
        return (
            isinstance(value_filter, Compare)
            and value_filter.op == "eq"
            and value_filter.path.sub["name"] == "value"
            and isinstance(value_filter.value, str)
        )


def _split(fields: dict[str, Any]) -> tuple[list[tuple[str, str, Any, bool]], dict[str, Any] | None]:
    """(its member operations, the rest of the operation or None)."""
    op, path, value, has_value = fields["op"].lower(), fields.get("path"), fields.get("value"), "value" in fields
    if path is None and isinstance(value, dict):
        members = [(op, k, v, True) for k, v in value.items() if patch.is_members_path(k)]
        rest = {k: v for k, v in value.items() if not patch.is_members_path(k)}
        return members, ({**fields, "value": rest} if rest or not members else None)
    if patch.is_members_path(path):
        return [(op, path.strip(), value, has_value)], None
    return [], fields


def group_patched(current: dict[str, Any], body: Any) -> dict[str, Any]:
    """The group document after the PatchOp ``body``, validated; ``current`` is left as it was."""
    operations = patch.operations_checked(body, GROUP)
    members = _Members(current.get("members", []))
    others = []
    for fields in operations:
        member_operations, rest = _split(fields)
        if rest is not None:
            others.append(rest)
        for operation in member_operations:
            members.apply(*operation)
    editable = {k: v for k, v in current.items() if k != "members"}
    if others:
        editable = patch.apply(editable, {"schemas": [PATCH_SCHEMA], "Operations": others}, GROUP)
    return {**editable, "members": list(members.by_key.values())}
