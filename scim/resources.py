"""Users and Groups behind one interface, so the views handle both the same way."""

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

from accounts.users import is_last_admin_error, is_username_taken, user_create, user_delete, user_update
from scim import groups, users
from scim.constants import INVALID_VALUE, MSG_NOT_FOUND, MSG_ROLE_NOT_ALLOWED, MSG_USERNAME_TAKEN, UNIQUENESS
from scim.errors import ScimError
from scim.kinds import USER, Kind
from scim.models import ScimToken
from scim.services import scim_group_create, scim_group_delete, scim_group_update
from scim.tokens import token_actor


def invalid_from(error: ValidationError, names: dict[str, str], username: str = "") -> ScimError:
    """A model ValidationError as SCIM: the username clash is 409 uniqueness, the rest 400 invalidValue."""
    if is_username_taken(error):
        return ScimError(409, MSG_USERNAME_TAKEN.format(name=username), UNIQUENESS)
    if is_last_admin_error(error):
        return ScimError(403, " ".join(error.messages))  # RFC 7644 §3.12: not permitted
    if hasattr(error, "error_dict"):
        detail = "; ".join(
            f"{names.get(field, field)}: {' '.join(m for e in errs for m in e.messages)}"
            for field, errs in error.error_dict.items()
        )
    else:
        detail = " ".join(error.messages)
    return ScimError(400, detail, INVALID_VALUE)


@dataclass(frozen=True)
class Resources:
    kind: Kind
    token: ScimToken
    request: Any

    @property
    def actor(self) -> str:
        return token_actor(self.token)

    def queryset(self) -> QuerySet:
        # Crucial for tenant isolation: scoped to the token's account.
        group = self.token.sso_group
        return users.users_of(group) if self.kind is USER else groups.groups_of(group)

    def get(self, scim_id: str, *, for_update: bool = False) -> Model:
        """The resource, or 404 — also for ids that are not ids at all, or belong to another account."""
        try:
            key = uuid.UUID(scim_id)
        except ValueError:
            raise ScimError(404, MSG_NOT_FOUND.format(id=scim_id)) from None
        queryset = self.queryset()
        if for_update:
            queryset = queryset.select_for_update(of=("self",))
        found = queryset.filter(scim_id=key).first()
        if found is None:
            raise ScimError(404, MSG_NOT_FOUND.format(id=scim_id))
        return found

    def to_doc(self, obj: Model) -> dict[str, Any]:
        return users.to_doc(obj) if self.kind is USER else groups.to_doc(obj)

    def created_doc(self, obj: Model) -> dict[str, Any]:
        """The representation of what ``create`` just returned. A new user is already whole in
        memory and belongs to no SCIM group yet: only its emails are read back. A group's members
        are read back with their users, as for any read."""
        if self.kind is USER:
            return users.to_doc(obj, memberships=[])
        return self.to_doc(self.get(str(obj.scim_id)))

    def page_docs(self, keys: QuerySet, ordering: tuple) -> list[dict[str, Any]]:
        """The representations of the resources whose keys ``keys`` (one page's) selects, in ``ordering``."""
        if self.kind is USER:
            return users.users_page(self.token.sso_group, keys, ordering)
        return [groups.to_doc(group) for group in self.queryset().filter(pk__in=keys).order_by(*ordering)]

    def create(self, doc: dict[str, Any]) -> Model:
        common = {"actor": self.actor, "request": self.request}
        if self.kind is USER:
            fields = users.to_fields(doc, sso_group=self.token.sso_group)
            self._role_check(fields["role"])
            try:
                return user_create(
                    account=self.token.account,
                    sso_group=self.token.sso_group,  # provisioned users sign in through the token's group
                    event="user_create_provision",
                    **common,
                    **fields,
                )
            except ValidationError as exc:
                raise invalid_from(exc, users.FIELD_NAMES, fields["username"]) from exc
        fields = groups.to_fields(doc, sso_group=self.token.sso_group)
        try:
            return scim_group_create(
                account=self.token.account,
                sso_group=self.token.sso_group,
                event="group_create_provision",
                **common,
                **fields,
            )
        except ValidationError as exc:
            raise invalid_from(exc, groups.FIELD_NAMES) from exc

    def update(self, obj: Model, doc: dict[str, Any]) -> Model:
        common = {"actor": self.actor, "request": self.request}
        if self.kind is USER:
            fields = users.to_fields(doc, sso_group=obj.sso_group)
            if fields["role"] != obj.role:
                self._role_check(fields["role"])
            deactivating = obj.is_active and fields["is_active"] is False
            event = "user_deprovision" if deactivating else "user_update_provision"
            try:
                return user_update(user=obj, event=event, **common, **fields)
            except ValidationError as exc:
                raise invalid_from(exc, users.FIELD_NAMES, fields["username"]) from exc
        fields = groups.to_fields(doc, sso_group=self.token.sso_group)
        try:
            return scim_group_update(group=obj, event="group_update_provision", **common, **fields)
        except ValidationError as exc:
            raise invalid_from(exc, groups.FIELD_NAMES) from exc

    def delete(self, obj: Model) -> None:
        if self.kind is USER:
            try:
                user_delete(user=obj, event="user_delete_provision", actor=self.actor, request=self.request)
            except ValidationError as exc:
                raise invalid_from(exc, users.FIELD_NAMES) from exc
        else:
            scim_group_delete(group=obj, event="group_delete_provision", actor=self.actor, request=self.request)

    def _role_check(self, role: str) -> None:
        """SCIM assigns only the roles the token's group allows (admin only when an admin ticked it)."""
        allowed = self.token.sso_group.scim_roles
        if role not in allowed:
            raise ScimError(403, MSG_ROLE_NOT_ALLOWED.format(allowed=", ".join(sorted(allowed)) or "none", role=role))

    @property
    def lookup_event(self) -> str:
        return "user_lookup_provision" if self.kind is USER else "group_lookup_provision"

    @property
    def event_prefix(self) -> str:
        return "user" if self.kind is USER else "group"
