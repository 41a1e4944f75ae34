"""Check a resource document against our schemas and normalise it (RFC 7643 §2).

Attribute names become their canonical spelling, booleans sent as "True"/"False" strings
become booleans, read-only attributes are ignored (RFC 7644 §3.3), null and empty values mean
unassigned. A write-only attribute (``password``) is type-checked and kept only as the marker
``IGNORED``, so the write can say it was dropped. Extension URNs listed in ``schemas`` that we do not
know are ignored when they carry nothing (Entra lists its own on every group). Anything else unknown
or of the wrong type is a 400: never silently dropped.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.dateparse import parse_datetime

from scim.constants import (
    IGNORED,
    INVALID_SYNTAX,
    INVALID_VALUE,
    MAX_MEMBERS_PER_REQUEST,
    MAX_VALUES_PER_ATTRIBUTE,
    MSG_CANONICAL,
    MSG_EMAIL,
    MSG_MULTIPLE_PRIMARY,
    MSG_NUL,
    MSG_REQUIRED,
    MSG_SCHEMAS,
    MSG_SCHEMAS_MISSING_CORE,
    MSG_TOO_LONG,
    MSG_TOO_MANY_MEMBERS,
    MSG_TOO_MANY_VALUES,
    MSG_TYPE,
    MSG_UNKNOWN_ATTRIBUTE,
    MSG_UNKNOWN_EXTENSION,
    TOO_MANY,
)
from scim.errors import ScimError
from scim.paths import split_urn
from scim.resource_types import ResourceType
from scim.schemas import find, refusal

# Canonical values we enforce (the others are suggestions, RFC 7643 §2.3.1).
STRICT_CANONICAL = {"role"}
_KINDS = {
    "string": "a string",
    "boolean": "a boolean",
    "integer": "an integer",
    "decimal": "a number",
    "dateTime": "an ISO 8601 dateTime string",
    "reference": "a URI string",
    "binary": "a base64 string",
    "complex": "an object",
}
_email = EmailValidator()
EMAIL_LIMITS = {"value": 254, "type": 50, "display": 255}  # the UserEmail columns


def invalid(detail: str) -> ScimError:
    return ScimError(400, detail, INVALID_VALUE)


def is_unassigned(value: Any) -> bool:
    return value is None or value == [] or value == {}


def storable(text: str) -> bool:
    """No NUL (PostgreSQL cannot store it) and no lone surrogate (not encodable as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def is_datetime(value: str) -> bool:
    try:
        return parse_datetime(value) is not None
    except ValueError:  # well-formed but out of range, e.g. month 13
        return False


def coerce_simple(value: Any, definition: dict[str, Any], label: str) -> Any:
    """One simple (non-complex) value, type-checked; IdPs' "True"/"False" strings become booleans."""
    kind = definition["type"]
    ok = True
    if kind == "boolean":
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            value = value.strip().lower() == "true"
        ok = isinstance(value, bool)
    elif kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "decimal":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "dateTime":
        ok = isinstance(value, str) and is_datetime(value)
    else:
        ok = isinstance(value, str)
    if isinstance(value, str) and not storable(value):
        raise invalid(MSG_NUL.format(name=label))
    if not ok:
        raise ScimError(400, MSG_TYPE.format(name=label, kind=_KINDS[kind]), INVALID_VALUE)
    if definition["name"] in STRICT_CANONICAL and definition.get("canonicalValues"):
        lowered = value.lower()
        if lowered not in definition["canonicalValues"]:
            raise invalid(MSG_CANONICAL.format(name=label, values=", ".join(definition["canonicalValues"])))
        value = lowered
    return value


def _complex(value: Any, definition: dict[str, Any], label: str) -> dict[str, Any]:
    if isinstance(value, str) and find(definition.get("subAttributes", []), "value"):
        value = {"value": value}  # Entra sends the enterprise manager as a bare id string
    if not isinstance(value, dict):
        raise ScimError(400, MSG_TYPE.format(name=label, kind="an object"), INVALID_VALUE)
    out: dict[str, Any] = {}
    for key, sub_value in value.items():
        sub = find(definition.get("subAttributes", []), key)
        if sub is None:
            raise invalid(MSG_UNKNOWN_ATTRIBUTE.format(name=f"{label}.{key}"))
        if sub["mutability"] == "readOnly" or is_unassigned(sub_value):
            continue
        out[sub["name"]] = coerce_simple(sub_value, sub, f"{label}.{sub['name']}")
    return out


def values_checked(values: list, definition: dict[str, Any], label: str, *, limit_members: bool = True) -> None:
    """Refuse more values than one attribute may hold, before any of them is looked at.

    Group members are counted per request (a group may grow past it, PATCH by PATCH);
    ``limit_members=False`` for a group's whole document after a PATCH."""
    if definition["name"] == "members":
        if limit_members and len(values) > MAX_MEMBERS_PER_REQUEST:
            raise ScimError(400, MSG_TOO_MANY_MEMBERS.format(count=len(values), limit=MAX_MEMBERS_PER_REQUEST),
                            TOO_MANY)  # fmt: skip
    elif len(values) > MAX_VALUES_PER_ATTRIBUTE:
        detail = MSG_TOO_MANY_VALUES.format(name=label, count=len(values), limit=MAX_VALUES_PER_ATTRIBUTE)
        raise ScimError(400, detail, TOO_MANY)


def coerce(value: Any, definition: dict[str, Any], label: str, *, limit_members: bool = True) -> Any:
    """A whole attribute value (multi-valued or not); returns None when it is unassigned."""
    if is_unassigned(value):
        return None
    if definition["multiValued"]:
        if not isinstance(value, list):
            raise ScimError(400, MSG_TYPE.format(name=label, kind="an array"), INVALID_VALUE)
        values_checked(value, definition, label, limit_members=limit_members)
        items = [coerce_one(v, definition, label) for v in value if not is_unassigned(v)]
        items = [i for i in items if not is_unassigned(i)]
        if sum(1 for i in items if isinstance(i, dict) and i.get("primary")) > 1:
            raise invalid(MSG_MULTIPLE_PRIMARY.format(name=label))
        return items or None
    return coerce_one(value, definition, label)


def coerce_one(value: Any, definition: dict[str, Any], label: str) -> Any:
    if definition["type"] == "complex":
        out = _complex(value, definition, label)
        if definition["name"] == "emails" and out:
            if "value" not in out:
                raise invalid(MSG_REQUIRED.format(name="emails.value"))
            try:
                _email(out["value"])
            except ValidationError as exc:
                raise invalid(MSG_EMAIL.format(value=out["value"])) from exc
            for key, limit in EMAIL_LIMITS.items():
                if len(out.get(key) or "") > limit:
                    raise invalid(MSG_TOO_LONG.format(name=f"emails.{key}", limit=limit))
        return out or None
    return coerce_simple(value, definition, label)


def _attributes_into(
    target: dict[str, Any], body: dict[str, Any], resource_type: ResourceType, urn: str, limit_members: bool = True
) -> None:
    for key, value in body.items():
        if key.lower() == "schemas" and urn != resource_type.schema:
            continue  # some clients repeat the extension's URN inside its object
        definition = find(resource_type.attributes(urn), key)
        if definition is None:
            refused = refusal(urn, key)
            if refused and is_unassigned(value):
                continue  # asserts nothing: Entra sends "roles": [] on every create
            raise invalid(refused or MSG_UNKNOWN_ATTRIBUTE.format(name=key))
        if definition["mutability"] == "readOnly":
            continue
        if definition["mutability"] == "writeOnly":  # RFC 7644 §3.3: accepted, never kept
            if coerce(value, definition, definition["name"]) is not None:
                target[definition["name"]] = IGNORED
            continue
        coerced = coerce(value, definition, definition["name"], limit_members=limit_members)
        if coerced is not None:
            target[definition["name"]] = coerced


def resource(
    body: Any, resource_type: ResourceType, *, check_schemas: bool = True, limit_members: bool = True
) -> dict[str, Any]:
    """The normalised document: core attributes at the top, each extension under its URN.

    ``limit_members=False``: a group's whole document after a PATCH, whose members were counted per operation."""
    if not isinstance(body, dict):
        raise ScimError(400, "The request body must be a JSON object.", INVALID_SYNTAX)
    schemas = body.get("schemas")
    listed: set[str] = set()
    if check_schemas:
        if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
            raise ScimError(400, MSG_SCHEMAS.format(expected=resource_type.schema), INVALID_SYNTAX)
        listed = {s.lower() for s in schemas}
        if resource_type.schema.lower() not in listed:
            given = ", ".join(repr(s[:100]) for s in schemas[:5]) + (", …" if len(schemas) > 5 else "")
            detail = MSG_SCHEMAS_MISSING_CORE.format(expected=resource_type.schema, given=given or "nothing")
            raise ScimError(400, detail, INVALID_SYNTAX)
    doc: dict[str, Any] = {}
    core: dict[str, Any] = {}
    for key, value in body.items():
        if key.lower() == "schemas":
            continue
        if _unknown_extension(key, resource_type, listed):
            if is_unassigned(value):
                continue  # an extension we do not keep, sent empty: nothing is lost
            known = ", ".join(resource_type.urns)
            detail = MSG_UNKNOWN_EXTENSION.format(urn=key[:200], type=resource_type.name, known=known)
            raise ScimError(400, detail, INVALID_VALUE)
        urn, rest = split_urn(key, resource_type, INVALID_VALUE)
        if urn == resource_type.schema:
            core[rest or key] = value
        elif rest:  # "urn:…:enterprise:2.0:User:department": a fully-qualified extension attribute
            doc.setdefault(urn, {})
            _attributes_into(doc[urn], {rest: value}, resource_type, urn)
        elif not is_unassigned(value):
            if not isinstance(value, dict):
                raise ScimError(400, MSG_TYPE.format(name=urn, kind="an object"), INVALID_VALUE)
            doc.setdefault(urn, {})
            _attributes_into(doc[urn], value, resource_type, urn)
    _attributes_into(doc, core, resource_type, resource_type.schema, limit_members)
    return finish(doc, resource_type)


def _unknown_extension(key: str, resource_type: ResourceType, listed: set[str]) -> bool:
    """A top-level key naming a schema (``urn:…``, or any URN the body lists in ``schemas``) we do not know."""
    lowered = key.lower()
    if any(lowered == u.lower() or lowered.startswith(u.lower() + ":") for u in resource_type.urns):
        return False
    return lowered.startswith("urn:") or lowered in listed


def finish(doc: dict[str, Any], resource_type: ResourceType) -> dict[str, Any]:
    """Drop empty extensions and check required attributes (blank strings count as missing)."""
    for urn in resource_type.extensions:
        if urn in doc and is_unassigned(doc[urn]):
            del doc[urn]
    for definition in resource_type.attributes(resource_type.schema):
        value = doc.get(definition["name"])
        if definition["required"] and (is_unassigned(value) or (isinstance(value, str) and not value.strip())):
            raise invalid(MSG_REQUIRED.format(name=definition["name"]))
    return doc
