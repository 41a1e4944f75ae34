"""SCIM Groups: named sets of the users the token's SSO group manages."""

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.models import User
from scim import groups
from scim.group_patch import group_patched
from scim.handlers import NOT_PATCHED, ResourceHandler, invalid_from
from scim.models import ScimGroup
from scim.resource_types import GROUP
from scim.services import scim_group_create, scim_group_delete, scim_group_update


class GroupHandler(ResourceHandler):
    resource_type = GROUP
    event_prefix = "group"

    def queryset(self) -> QuerySet[ScimGroup]:
        return groups.groups_of(self.sso_group)

    def to_doc(self, obj: ScimGroup) -> dict[str, Any]:
        return groups.to_doc(obj)

    def created_doc(self, obj: ScimGroup, doc: dict[str, Any]) -> dict[str, Any]:
        """A group's members are read back with their users, as for any read."""
        return self.to_doc(self.get(str(obj.scim_id)))

    def page_rows(self, keys: QuerySet, ordering: tuple) -> list[tuple[ScimGroup, dict[str, Any]]]:
        return [(group, groups.to_doc(group)) for group in self.queryset().filter(pk__in=keys).order_by(*ordering)]

    def target_of(self, doc: dict[str, Any]) -> str:
        return doc.get("displayName") or ""

    def create_resource(self, doc: dict[str, Any]) -> ScimGroup:
        fields = groups.to_fields(doc, sso_group=self.sso_group)
        try:
            return scim_group_create(
                account=self.token.account,
                sso_group=self.sso_group,
                event=self.event("create"),
                actor=self.actor,
                request=self.request,
                **fields,
            )
        except ValidationError as exc:
            raise invalid_from(exc, groups.FIELD_NAMES) from exc

    def patched(self, current: dict[str, Any], body: Any) -> dict[str, Any]:
        """Members are added and removed one operation at a time (scim.group_patch)."""
        return group_patched({k: v for k, v in current.items() if k not in NOT_PATCHED}, body)

    def replace_resource(self, obj: ScimGroup, doc: dict[str, Any]) -> ScimGroup:
        """Only the members not in the group yet are looked up; the service writes only the difference."""
        fields = groups.to_fields(doc, sso_group=self.sso_group, known=self._members_known(obj))
        try:
            return scim_group_update(group=obj, event=self.event("update"), actor=self.actor, request=self.request,
                                     **fields)  # fmt: skip
        except ValidationError as exc:
            raise invalid_from(exc, groups.FIELD_NAMES) from exc

    def delete_resource(self, obj: ScimGroup) -> None:
        scim_group_delete(group=obj, event=self.event("delete"), actor=self.actor, request=self.request)

    def _members_known(self, group: ScimGroup) -> dict[uuid.UUID, User]:
        """The group's current members (already read with it) that its SSO group still manages."""
        # Crucial: a member unbound from the token's group since is looked up again, and refused.
        return {
            m.user.scim_id: m.user
            for m in group.memberships.all()
            if m.user.account_id == self.sso_group.account_id and m.user.sso_group_id == self.sso_group.pk
        }
