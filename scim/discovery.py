"""ServiceProviderConfig, ResourceTypes and Schemas documents (RFC 7643 §5-7, RFC 7644 §4)."""

from typing import Any

from scim.constants import MAX_RESULTS, RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA, SPC_SCHEMA
from scim.representation import base_url
from scim.resource_types import RESOURCE_TYPES
from scim.schemas import SCHEMAS


def service_provider_config() -> dict[str, Any]:
    """What we implement, truthfully: no bulk, no password change."""
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A SCIM token generated in Account settings → Single Sign-On, sent as "
                "'Authorization: Bearer <token>'.",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base_url()}/ServiceProviderConfig"},
    }


def resource_types() -> dict[str, dict[str, Any]]:
    out = {}
    for resource_type in RESOURCE_TYPES:
        doc: dict[str, Any] = {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": resource_type.name,
            "name": resource_type.name,
            "endpoint": resource_type.endpoint,
            "description": f"{resource_type.name} accounts" if resource_type.name == "User" else "Groups of users",
            "schema": resource_type.schema,
        }
        if resource_type.extensions:
            doc["schemaExtensions"] = [{"schema": urn, "required": False} for urn in resource_type.extensions]
        doc["meta"] = {"resourceType": "ResourceType", "location": f"{base_url()}/ResourceTypes/{resource_type.name}"}
        out[resource_type.name] = doc
    return out


def schemas() -> dict[str, dict[str, Any]]:
    return {
        urn: {
            "schemas": [SCHEMA_SCHEMA],
            "id": urn,
            "name": definition["name"],
            "description": definition["description"],
            "attributes": definition["attributes"],
            "meta": {"resourceType": "Schema", "location": f"{base_url()}/Schemas/{urn}"},
        }
        for urn, definition in SCHEMAS.items()
    }
