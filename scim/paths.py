"""Attribute paths: ``[urn:]attr[.sub]`` resolved against our schemas (RFC 7644 §3.10)."""

import re
from dataclasses import dataclass
from typing import Any

from scim.constants import INVALID_PATH, MSG_UNKNOWN_ATTRIBUTE, MSG_UNKNOWN_SCHEMA
from scim.errors import ScimError
from scim.resource_types import ResourceType
from scim.schemas import find, refusal

NAME_RE = re.compile(r"^[A-Za-z$][\w$-]*$")


@dataclass(frozen=True)
class AttrPath:
    """A resolved path. ``attr`` is None when the path names a whole extension."""

    urn: str
    attr: dict[str, Any] | None
    sub: dict[str, Any] | None
    core: bool

    @property
    def key(self) -> str:
        """Canonical spelling: 'name.givenName', or 'urn:…:User:role' for extension attributes."""
        if self.attr is None:
            return self.urn
        name = self.attr["name"] + (f".{self.sub['name']}" if self.sub else "")
        return name if self.core else f"{self.urn}:{name}"

    @property
    def leaf(self) -> dict[str, Any] | None:
        return self.sub or self.attr


def split_urn(text: str, resource_type: ResourceType, scim_type: str) -> tuple[str, str]:
    """Split a leading schema URN off ``text`` (matched case-insensitively, longest first)."""
    lowered = text.lower()
    for urn in sorted(resource_type.urns, key=len, reverse=True):
        if lowered == urn.lower():
            return urn, ""
        if lowered.startswith(urn.lower() + ":"):
            return urn, text[len(urn) + 1 :]
    if lowered.startswith("urn:"):
        raise ScimError(400, MSG_UNKNOWN_SCHEMA.format(urn=text), scim_type)
    return resource_type.schema, text


def resolve(
    text: str, resource_type: ResourceType, *, scim_type: str = INVALID_PATH, allow_extension: bool = False
) -> AttrPath:
    """Resolve ``text`` to schema definitions, or raise a 400 with ``scim_type``."""
    urn, rest = split_urn(text.strip(), resource_type, scim_type)
    if not rest:
        if allow_extension and urn != resource_type.schema:
            return AttrPath(urn, None, None, False)
        raise ScimError(400, MSG_UNKNOWN_ATTRIBUTE.format(name=text), scim_type)
    parts = rest.split(".")
    if len(parts) > 2 or not all(NAME_RE.match(p) for p in parts):
        raise ScimError(400, MSG_UNKNOWN_ATTRIBUTE.format(name=text), scim_type)
    definition = find(resource_type.attributes(urn), parts[0])
    if definition is None:
        raise ScimError(400, refusal(urn, parts[0]) or MSG_UNKNOWN_ATTRIBUTE.format(name=text), scim_type)
    sub = None
    if len(parts) == 2:
        sub = find(definition.get("subAttributes", []), parts[1])
        if sub is None:
            raise ScimError(400, MSG_UNKNOWN_ATTRIBUTE.format(name=text), scim_type)
    return AttrPath(urn, definition, sub, urn == resource_type.schema)


def resolve_sub(parent: AttrPath, name: str, scim_type: str) -> AttrPath:
    """A sub-attribute named inside a value filter, e.g. ``type`` in ``emails[type eq "work"]``."""
    subs = parent.attr.get("subAttributes", []) if parent.attr else []
    sub = find(subs, name) if NAME_RE.match(name) else None
    if sub is None:
        raise ScimError(400, MSG_UNKNOWN_ATTRIBUTE.format(name=f"{parent.key}.{name}"), scim_type)
    return AttrPath(parent.urn, parent.attr, sub, parent.core)
