"""Apply a PatchOp (RFC 7644 §3.5.2) to a resource document, in memory; the caller saves the result.

Besides the RFC forms this accepts what IdPs really send: "Replace"/"Add" in any case, "False" as
a string, operations without a path whose value is an object of (possibly dotted or
URN-qualified) attribute names, ``emails[type eq "work"].value`` creating the value it names,
and ``remove`` of members listed in ``value``. The patched document is validated as a whole.
"""

import copy
import json
from typing import Any

from scim import validate
from scim.constants import (
    INVALID_PATH,
    INVALID_SYNTAX,
    INVALID_VALUE,
    MAX_MEMBERS_PER_REQUEST,
    MAX_PATCH_OPERATIONS,
    MSG_PATCH_NO_MATCH,
    MSG_PATCH_NO_PATH,
    MSG_PATCH_NO_VALUE,
    MSG_PATCH_OP,
    MSG_PATCH_OPS,
    MSG_PATCH_REMOVE_PATH,
    MSG_READ_ONLY,
    MSG_TOO_MANY_MEMBERS,
    MSG_TOO_MANY_OPERATIONS,
    MUTABILITY,
    NO_TARGET,
    PATCH_SCHEMA,
    TOO_MANY,
)
from scim.errors import ScimError
from scim.filter_match import matches
from scim.filters import Compare, Logical, Node, parse_value_filter
from scim.paths import AttrPath, resolve
from scim.resource_types import GROUP, ResourceType
from scim.schemas import find


def _syntax(detail: str) -> ScimError:
    return ScimError(400, detail, INVALID_SYNTAX)


def identity(value: Any) -> Any:
    """A hashable stand-in for one value of a multi-valued attribute: equal values, equal keys.
    De-duplicating through a set of these is linear; ``value in list`` was quadratic."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def parse_path(text: Any, resource_type: ResourceType) -> tuple[AttrPath, Node | None, str | None]:
    """``attr``, ``urn:…:attr.sub``, ``attr[filter]`` or ``attr[filter].sub``."""
    if not isinstance(text, str) or not text.strip():
        raise ScimError(400, "'path' must be a non-empty string.", INVALID_PATH)
    text = text.strip()
    if "[" not in text:
        return resolve(text, resource_type, allow_extension=True), None, None
    head, _, rest = text.partition("[")
    body, close, tail = rest.rpartition("]")
    if not close or (tail and not tail.startswith(".")):
        raise ScimError(400, f"Invalid path {text!r}: unbalanced brackets.", INVALID_PATH)
    path = resolve(head, resource_type)
    if not (path.attr["type"] == "complex" and path.attr["multiValued"] and path.sub is None):
        raise ScimError(400, f"Invalid path {text!r}: {head!r} is not a multi-valued complex attribute.", INVALID_PATH)
    sub = None
    if tail:
        sub = find(path.attr["subAttributes"], tail[1:])
        if sub is None:
            raise ScimError(400, f"Invalid path {text!r}: unknown sub-attribute {tail[1:]!r}.", INVALID_PATH)
    return path, parse_value_filter(body, path), sub["name"] if sub else None


def _eq_terms(node: Node) -> dict[str, Any] | None:
    """``type eq "work" and primary eq true`` → {"type": "work", "primary": True}; None for other shapes."""
    if isinstance(node, Compare) and node.op == "eq":
        return {node.path.sub["name"]: node.value}
    if isinstance(node, Logical) and node.op == "and":
        left, right = _eq_terms(node.left), _eq_terms(node.right)
        return {**left, **right} if left is not None and right is not None else None
    return None


class Patcher:
    """Applies operations one by one to a document held in memory."""

    def __init__(self, doc: dict[str, Any], resource_type: ResourceType):
        self.doc = doc
        self.resource_type = resource_type

    def container(self, path: AttrPath, create: bool) -> dict[str, Any] | None:
        if path.core:
            return self.doc
        if create:
            return self.doc.setdefault(path.urn, {})
        return self.doc.get(path.urn)

    def apply(self, op: str, raw_path: Any, value: Any, has_value: bool) -> None:
        if raw_path is None:
            if op == "remove":
                raise ScimError(400, MSG_PATCH_REMOVE_PATH, NO_TARGET)
            if not isinstance(value, dict):
                raise _syntax(MSG_PATCH_NO_PATH.format(op=op))
            for key, item in value.items():
                if key.lower() == "schemas":
                    continue
                path, _, _ = parse_path(key, self.resource_type)
                if path.attr is not None and path.attr["mutability"] == "readOnly":
                    continue  # Okta sends {"id": …, "displayName": …}: read-only attributes are ignored, as in PUT
                if path.attr is None and isinstance(item, dict):  # {"urn:…:enterprise:2.0:User": {...}}
                    for sub_key, sub_item in item.items():
                        if sub_key.lower() != "schemas":
                            self.apply(op, f"{path.urn}:{sub_key}", sub_item, True)
                else:
                    self.apply(op, key, item, True)
            return
        if op != "remove" and not has_value:
            raise _syntax(MSG_PATCH_NO_VALUE.format(op=op))
        path, value_filter, sub = parse_path(raw_path, self.resource_type)
        if path.attr is None:
            self.extension(op, path.urn, value)
            return
        if path.attr["mutability"] == "readOnly" or (path.sub and path.sub["mutability"] == "readOnly"):
            raise ScimError(400, MSG_READ_ONLY.format(name=path.key), MUTABILITY)
        if value_filter is not None:
            self.filtered(op, path, value_filter, sub, value, raw_path)
        elif path.sub is not None:
            self.sub_attribute(op, path, value)
        else:
            self.attribute(op, path, value, has_value)

    def extension(self, op: str, urn: str, value: Any) -> None:
        if op == "remove":
            self.doc.pop(urn, None)
            return
        if not isinstance(value, dict):
            raise ScimError(400, f"The value of {urn!r} must be an object.", INVALID_VALUE)
        if op == "replace":
            self.doc[urn] = {}
        for key, item in value.items():
            if key.lower() != "schemas":  # some clients repeat the extension's URN inside its object
                self.apply(op, f"{urn}:{key}", item, True)

    def attribute(self, op: str, path: AttrPath, value: Any, has_value: bool) -> None:
        definition, name = path.attr, path.attr["name"]
        target = self.container(path, op != "remove")
        if op == "remove":
            if target is None or name not in target:
                return
            if has_value and definition["multiValued"] and isinstance(value, list):  # remove listed values
                drop = {identity(v.get("value")) for v in value if isinstance(v, dict)}
                target[name] = [
                    v for v in target[name] if not (isinstance(v, dict) and identity(v.get("value")) in drop)
                ]
            else:
                del target[name]
            return
        if definition["multiValued"]:
            items = validate.coerce(value if isinstance(value, list) else [value], definition, name) or []
            current = target.get(name, []) if op == "add" else []
            if any(isinstance(i, dict) and i.get("primary") for i in items):
                current = [{**c, "primary": False} if isinstance(c, dict) and c.get("primary") else c for c in current]
            seen = {identity(c) for c in current}
            target[name] = current + [i for i in items if identity(i) not in seen]
            # Checked after each operation, so no later one works on a list past the limit.
            validate.values_checked(target[name], definition, name, limit_members=False)
        elif definition["type"] == "complex":
            merged = dict(target.get(name) or {})
            merged.update(validate.coerce(value, definition, name) or {})
            target[name] = merged
        else:
            target[name] = validate.coerce(value, definition, name)

    def sub_attribute(self, op: str, path: AttrPath, value: Any) -> None:
        name, sub = path.attr["name"], path.sub["name"]
        target = self.container(path, op != "remove")
        if target is None:
            return
        holders = target.get(name) if path.attr["multiValued"] else [target.setdefault(name, {})]
        for holder in holders or []:
            if op == "remove":
                holder.pop(sub, None)
            else:
                holder[sub] = validate.coerce(value, path.sub, path.key)

    def filtered(self, op: str, path: AttrPath, value_filter: Node, sub: str | None, value: Any, raw: str) -> None:
        name = path.attr["name"]
        target = self.container(path, op != "remove") or {}
        items = target.get(name, [])
        hits = [i for i in items if matches(value_filter, i)]
        if op == "remove":  # idempotent: removing what is already gone is not an error for IdP retries
            if sub:
                for hit in hits:
                    hit.pop(sub, None)
            else:
                hit_ids = {id(hit) for hit in hits}
                target[name] = [i for i in items if id(i) not in hit_ids]
            return
        definition = find(path.attr["subAttributes"], sub) if sub else None
        new = (
            validate.coerce(value, definition, f"{name}.{sub}") if sub else validate.coerce_one(value, path.attr, name)
        )
        if not hits:
            terms = _eq_terms(value_filter)
            if terms is None:
                raise ScimError(400, MSG_PATCH_NO_MATCH.format(path=raw), NO_TARGET)
            created = {k: validate.coerce_simple(v, find(path.attr["subAttributes"], k), k)
                       for k, v in terms.items()}  # fmt: skip
            items.append(created)
            target[name] = items
            hits = [created]
        for hit in hits:
            if sub:
                hit[sub] = new
            elif op == "replace":
                hit.clear()
                hit.update(new or {})
            else:
                hit.update(new or {})


def is_members_path(name: Any) -> bool:
    """``members``, ``members[…]``, ``members.value`` or ``urn:…:Group:members``: a group's members."""
    if not isinstance(name, str):
        return False
    attribute = name.partition("[")[0].strip().lower().rsplit(":", 1)[-1]
    return attribute == "members" or attribute.startswith("members.")


def _members_named(fields: dict[str, Any]) -> int:
    """How many group members one operation names (its value's list, whatever the path's form)."""
    path, value = fields.get("path"), fields.get("value")
    if path is None and isinstance(value, dict):
        lists = [v for k, v in value.items() if is_members_path(k)]
        return sum(len(v) if isinstance(v, list) else 1 for v in lists)
    if is_members_path(path):
        return len(value) if isinstance(value, list) else 1
    return 0


def operations_checked(body: Any, resource_type: ResourceType) -> list[dict[str, Any]]:
    """The PatchOp's operations (keys lower-cased), refused before any is applied when malformed
    or over the limits of operations per PATCH and members per request."""
    if not isinstance(body, dict):
        raise _syntax("The request body must be a JSON object.")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or PATCH_SCHEMA not in schemas:
        raise _syntax(f"The 'schemas' attribute must be [{PATCH_SCHEMA!r}].")
    operations = next((v for k, v in body.items() if k.lower() == "operations"), None)
    if not isinstance(operations, list) or not operations:
        raise _syntax(MSG_PATCH_OPS.format(max=MAX_PATCH_OPERATIONS))
    if len(operations) > MAX_PATCH_OPERATIONS:
        detail = MSG_TOO_MANY_OPERATIONS.format(count=len(operations), limit=MAX_PATCH_OPERATIONS)
        raise ScimError(400, detail, TOO_MANY)
    checked = []
    for operation in operations:
        if not isinstance(operation, dict):
            raise _syntax("Each operation must be an object.")
        fields = {k.lower(): v for k, v in operation.items()}
        op = fields.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "remove", "replace"):
            raise _syntax(MSG_PATCH_OP.format(op=op))
        checked.append(fields)
    if resource_type is GROUP:
        members = sum(_members_named(fields) for fields in checked)
        if members > MAX_MEMBERS_PER_REQUEST:
            detail = MSG_TOO_MANY_MEMBERS.format(count=members, limit=MAX_MEMBERS_PER_REQUEST)
            raise ScimError(400, detail, TOO_MANY)
    return checked


def apply(doc: dict[str, Any], body: Any, resource_type: ResourceType) -> dict[str, Any]:
    """The document after every operation of ``body``, validated; ``doc`` itself is left as it was."""
    operations = operations_checked(body, resource_type)
    patcher = Patcher(copy.deepcopy(doc), resource_type)
    for fields in operations:
        patcher.apply(fields["op"].lower(), fields.get("path"), fields.get("value"), "value" in fields)
    # A group's members were counted per request above; the group itself may hold more.
    document = {"schemas": list(resource_type.urns), **patcher.doc}
    return validate.resource(document, resource_type, limit_members=False)
