"""The two resource types we serve and the attributes every resource shares (RFC 7643 §3.1, §6)."""

from dataclasses import dataclass
from typing import Any

from scim.constants import ENTERPRISE_SCHEMA, GROUP_SCHEMA, SPARKPOST_SCHEMA, USER_SCHEMA
from scim.schemas import EXTERNAL_ID, SCHEMAS, UNPUBLISHED, attr

ID = attr("id", mutability="readOnly", returned="always", case_exact=True, uniqueness="server")
META = attr(
    "meta",
    "complex",
    mutability="readOnly",
    sub=[
        attr("resourceType", mutability="readOnly", case_exact=True),
        attr("created", "dateTime", mutability="readOnly"),
        attr("lastModified", "dateTime", mutability="readOnly"),
        attr("location", "reference", mutability="readOnly", case_exact=True, refs=["uri"]),
        attr("version", mutability="readOnly", case_exact=True),
    ],
)
COMMON = [ID, EXTERNAL_ID, META]


@dataclass(frozen=True)
class ResourceType:
    """One SCIM resource type (RFC 7643 §6): its name, endpoint, core schema and extensions."""

    name: str
    endpoint: str
    schema: str
    extensions: tuple[str, ...] = ()

    @property
    def urns(self) -> tuple[str, ...]:
        return (self.schema, *self.extensions)

    def attributes(self, urn: str) -> list[dict[str, Any]]:
        """Attributes of one of this resource type's schemas; the core schema also gets id, externalId, meta,
        and the write-only attributes we accept without publishing (``password``)."""
        own = SCHEMAS[urn]["attributes"]
        return [*COMMON, *own, *UNPUBLISHED.get(urn, [])] if urn == self.schema else own


USER = ResourceType("User", "/Users", USER_SCHEMA, (ENTERPRISE_SCHEMA, SPARKPOST_SCHEMA))
GROUP = ResourceType("Group", "/Groups", GROUP_SCHEMA)
RESOURCE_TYPES = (USER, GROUP)
