"""What every resource representation shares: meta, location, ETag (RFC 7643 §3.1, RFC 7644 §3.14)."""

import hashlib
import json
from datetime import datetime
from typing import Any

from django.conf import settings

from scim.resource_types import ResourceType

BASE_PATH = "/api/v1/users/scim/v2"


def base_url() -> str:
    """Absolute SCIM base, from BASE_URL and never from the request's Host header."""
    return f"{settings.BASE_URL}{BASE_PATH}"


def location(resource_type: ResourceType, scim_id: str) -> str:
    return f"{base_url()}{resource_type.endpoint}/{scim_id}"


def timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def etag(doc: dict[str, Any]) -> str:
    """A weak ETag over the representation (without meta): it changes exactly when the resource does."""
    content = json.dumps({k: v for k, v in doc.items() if k != "meta"}, sort_keys=True, ensure_ascii=False)
    return f'W/"{hashlib.sha256(content.encode()).hexdigest()[:32]}"'


def with_meta(
    doc: dict[str, Any], resource_type: ResourceType, created: datetime, modified: datetime
) -> dict[str, Any]:
    doc["meta"] = {
        "resourceType": resource_type.name,
        "created": timestamp(created),
        "lastModified": timestamp(modified),
        "location": location(resource_type, doc["id"]),
    }
    doc["meta"]["version"] = etag(doc)
    return doc


def etag_matches(header: str, current: str) -> bool:
    """If-Match / If-None-Match: '*' or any listed tag, compared weakly (RFC 7232 §2.3.2)."""
    if header.strip() == "*":
        return True
    bare = current.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))
