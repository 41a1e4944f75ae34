"""SCIM Group documents ↔ accounts.ScimGroup; members are users of the same account."""

import uuid
from typing import Any

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from scim.constants import GROUP_SCHEMA, MSG_MEMBER_TYPE, MSG_MEMBER_UNKNOWN
from scim.models import ScimGroup, ScimGroupMembership
from scim.representation import location, with_meta
from scim.resource_types import GROUP, USER
from scim.validate import invalid
from ssogroups.models import SSOGroup

FIELD_NAMES = {"display_name": "displayName", "external_id": "externalId", "members": "members"}


def groups_of(sso_group: SSOGroup) -> QuerySet[ScimGroup]:
    """The SCIM groups a token of ``sso_group`` pushed; other groups' and accounts' are not found."""
    # Crucial for isolation: scoped to the group's account and to the group itself.
    return ScimGroup.objects.filter(account_id=sso_group.account_id, sso_group=sso_group).prefetch_related(
        Prefetch("memberships", queryset=ScimGroupMembership.objects.select_related("user"))
    )


def to_doc(group: ScimGroup) -> dict[str, Any]:
    doc: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": str(group.scim_id)}
    if group.external_id:
        doc["externalId"] = group.external_id
    doc["displayName"] = group.display_name
    members = [
        {"value": str(m.user.scim_id), "$ref": location(USER, str(m.user.scim_id)), "type": "User"}
        for m in group.memberships.all()
    ]
    if members:
        doc["members"] = members
    return with_meta(doc, GROUP, group.created_at, group.updated_at)


def to_fields(
    doc: dict[str, Any], *, sso_group: SSOGroup, known: dict[uuid.UUID, User] | None = None
) -> dict[str, Any]:
    """Service keyword arguments for a normalised document; unknown members are a 400.

    ``known``: members already read and checked (the group's own); only the others are looked up."""
    wanted: list[uuid.UUID] = []
    for member in doc.get("members", []):
        value = member.get("value")
        if member.get("type") not in (None, "User"):
            raise invalid(MSG_MEMBER_TYPE.format(value=value, type=member.get("type")))
        if value is None:
            raise invalid(MSG_MEMBER_UNKNOWN.format(value=member.get("$ref")))
        try:
            wanted.append(uuid.UUID(value))
        except ValueError as exc:
            raise invalid(MSG_MEMBER_UNKNOWN.format(value=value)) from exc
    found = dict(known or {})
    unknown = [w for w in wanted if w not in found]
    if unknown:
        # Crucial: members are users the token's group manages; anyone else's id is unknown.
        users = User.objects.filter(account_id=sso_group.account_id, sso_group=sso_group, scim_id__in=unknown)
        found.update((u.scim_id, u) for u in users)
    missing = [str(w) for w in wanted if w not in found]
    if missing:
        raise invalid(MSG_MEMBER_UNKNOWN.format(value=missing[0]))
    return {
        "display_name": doc["displayName"],
        "external_id": doc.get("externalId", ""),
        "members": [found[w] for w in wanted],
    }
