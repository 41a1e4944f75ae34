"""SCIM Users: accounts.User rows that the token's SSO group manages."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.models import User
from accounts.users import user_create, user_delete, user_update
from scim import users
from scim.constants import MSG_ROLE_NOT_ALLOWED
from scim.errors import ScimError
from scim.event_types import ScimEvent
from scim.handlers import ResourceHandler, invalid_from
from scim.resource_types import USER
from ssogroups.user_counts import sso_group_user_count


class UserHandler(ResourceHandler):
    resource_type = USER
    event_prefix = "user"

    @property
    def _memberships_exist(self) -> bool:
        """False when the token's account has no SCIM group (read with the token): then no user
        has a membership, and reads skip that query. A token built elsewhere is asked nothing."""
        return getattr(self.token, "scim_groups_exist", True)

    def queryset(self) -> QuerySet[User]:
        found = users.users_of(self.sso_group)
        return found if self._memberships_exist else found.prefetch_related(None)

    def to_doc(self, obj: User) -> dict[str, Any]:
        return users.to_doc(obj, memberships=None if self._memberships_exist else [])

    def created_doc(self, obj: User, doc: dict[str, Any]) -> dict[str, Any]:
        """A new user is already whole in memory and belongs to no SCIM group yet; its emails are the
        rows ``user_create`` wrote from ``doc``, so nothing is read back."""
        return users.to_doc(obj, emails=users.email_rows(doc), memberships=[])

    def page_rows(self, keys: QuerySet, ordering: tuple) -> list[tuple[User, dict[str, Any]]]:
        return users.users_page(self.sso_group, keys, ordering, memberships=self._memberships_exist)

    def total(self) -> int:
        """Every user the group manages: ``users_of`` is the group's users, counted as they change."""
        return sso_group_user_count(sso_group_id=self.sso_group.pk)

    def target_of(self, doc: dict[str, Any]) -> str:
        return doc.get("userName") or ""

    def create_resource(self, doc: dict[str, Any]) -> User:
        fields = users.to_fields(doc, sso_group=self.sso_group)
        self._role_check(fields["role"])
        try:
            return user_create(
                account=self.token.account,
                sso_group=self.sso_group,  # provisioned users sign in through the token's group
                event=self.event("create"),
                actor=self.actor,
                request=self.request,
                **fields,
            )
        except ValidationError as exc:
            raise invalid_from(exc, users.FIELD_NAMES, fields["username"]) from exc

    def replace_resource(self, obj: User, doc: dict[str, Any]) -> User:
        fields = users.to_fields(doc, sso_group=obj.sso_group)
        if fields["role"] != obj.role:
            self._role_check(fields["role"])
        deactivating = obj.is_active and fields["is_active"] is False
        event = ScimEvent.USER_DEPROVISION if deactivating else self.event("update")
        try:
            return user_update(user=obj, event=event, actor=self.actor, request=self.request, **fields)
        except ValidationError as exc:
            raise invalid_from(exc, users.FIELD_NAMES, fields["username"]) from exc

    def delete_resource(self, obj: User) -> None:
        try:
            user_delete(user=obj, event=self.event("delete"), actor=self.actor, request=self.request)
        except ValidationError as exc:
            raise invalid_from(exc, users.FIELD_NAMES) from exc

    def _role_check(self, role: str) -> None:
        """SCIM assigns only the roles the token's group allows (admin only when an admin ticked it)."""
        allowed = self.sso_group.scim_roles
        if role not in allowed:
            raise ScimError(403, MSG_ROLE_NOT_ALLOWED.format(allowed=", ".join(sorted(allowed)) or "none", role=role))
