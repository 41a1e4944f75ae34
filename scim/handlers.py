"""What every SCIM resource handler shares: scoping, lookup by id, and the flows of each method.

One handler per resource type (``scim.user_handler``, ``scim.group_handler``) fills in what differs:
its queryset, its representation and its writes. Every operation names its failure event here, so an
error raised anywhere inside carries it (``failures_recorded_as``).
"""

import uuid
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from accounts.users import is_last_admin_error, is_username_taken
from scim import patch, validate
from scim.constants import INVALID_VALUE, MSG_ETAG_MISMATCH, MSG_NOT_FOUND, MSG_USERNAME_TAKEN, UNIQUENESS
from scim.errors import ScimError, failures_recorded_as
from scim.event_types import ScimEvent
from scim.models import ScimToken
from scim.representation import etag_matches
from scim.resource_types import ResourceType
from scim.tokens import token_actor
from ssogroups.models import SSOGroup

# Attributes of a current representation that a PATCH never edits (read-only, or derived).
NOT_PATCHED = ("schemas", "id", "meta", "groups")


def invalid_from(error: ValidationError, names: dict[str, str], username: str = "") -> ScimError:
    """A model ValidationError as SCIM: the username clash is 409 uniqueness, the rest 400 invalidValue."""
    if is_username_taken(error):
        # The clash may be with a user outside the token's group: see docs/security.md, "Known limits".
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


class ResourceHandler(ABC):
    """The resources of one type that one token may see and change."""

    resource_type: ClassVar[ResourceType]
    event_prefix: ClassVar[str]  # "user" or "group": events are named <prefix>_<action>_provision

    def __init__(self, *, token: ScimToken, request: HttpRequest):
        self.token = token
        self.request = request

    @property
    def actor(self) -> str:
        return token_actor(self.token)

    @property
    def sso_group(self) -> SSOGroup:
        return self.token.sso_group

    @classmethod
    def event(cls, action: str) -> ScimEvent:
        """``user_lookup_provision``, ``group_update_provision``, … (ValueError for one not declared)."""
        return ScimEvent(f"{cls.event_prefix}_{action}_provision")

    # What each resource type says for itself.
    @abstractmethod
    def queryset(self) -> QuerySet:
        """Everything the token's SSO group manages of this type, and nothing else (crucial for isolation)."""

    @abstractmethod
    def to_doc(self, obj: Model) -> dict[str, Any]: ...

    @abstractmethod
    def created_doc(self, obj: Model, doc: dict[str, Any]) -> dict[str, Any]:
        """The representation of what ``create_resource`` just returned from ``doc``."""

    @abstractmethod
    def page_rows(self, keys: QuerySet, ordering: tuple) -> list[tuple[Model, dict[str, Any]]]:
        """The resources whose keys ``keys`` (one page's) selects, in ``ordering``, each with its representation."""

    def total(self) -> int | None:
        """How many resources ``queryset`` holds when a maintained count knows it; None: COUNT them."""
        return None

    @abstractmethod
    def target_of(self, doc: dict[str, Any]) -> str:
        """What a failure event names for a document: the userName or displayName."""

    @abstractmethod
    def create_resource(self, doc: dict[str, Any]) -> Model: ...

    @abstractmethod
    def replace_resource(self, obj: Model, doc: dict[str, Any]) -> Model:
        """Write ``doc`` (validated, whole) over ``obj``."""

    @abstractmethod
    def delete_resource(self, obj: Model) -> None: ...

    def patched(self, current: dict[str, Any], body: Any) -> dict[str, Any]:
        """The whole document after the PatchOp ``body``, validated; nothing written."""
        editable = {k: v for k, v in current.items() if k not in NOT_PATCHED}
        return patch.apply(editable, body, self.resource_type)

    # The flows, the same for every type.
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

    def read(self, scim_id: str) -> dict[str, Any]:
        """A read records its event only when it fails (404), like a search's."""
        with failures_recorded_as(self.event("lookup"), scim_id):
            return self.to_doc(self.get(scim_id))

    def create(self, body: Any) -> dict[str, Any]:
        event = self.event("create")
        named = self.target_of(body) if isinstance(body, dict) else ""
        with failures_recorded_as(event, named if isinstance(named, str) else ""):  # the name as sent, if any
            doc = validate.resource(body, self.resource_type)
        with failures_recorded_as(event, self.target_of(doc)):
            return self.created_doc(self.create_resource(doc), doc)

    def change(self, scim_id: str, *, method: str, body: Any, if_match: str | None) -> dict[str, Any] | None:
        """PUT, PATCH or DELETE of one resource, under its row lock; the new document (None once deleted)."""
        with failures_recorded_as(self.event("delete" if method == "DELETE" else "update"), scim_id):
            with transaction.atomic():
                obj = self.get(scim_id, for_update=True)
                current = self.to_doc(obj)
                if if_match and not etag_matches(if_match, current["meta"]["version"]):
                    raise ScimError(412, MSG_ETAG_MISMATCH)
                if method == "DELETE":
                    self.delete_resource(obj)
                    return None
                if method == "PUT":
                    doc = validate.resource(body, self.resource_type)
                else:
                    doc = self.patched(current, body)
                self.replace_resource(obj, doc)
            return self.to_doc(self.get(scim_id))
