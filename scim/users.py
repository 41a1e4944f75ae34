"""SCIM User documents ↔ accounts.User: which attributes have columns, and where the rest is kept."""

import copy
from collections import defaultdict
from typing import Any

from django.db.models import Prefetch, QuerySet

from accounts.emails import email_normalise, emails_of, primary_email, user_emails
from accounts.models import User, UserEmail
from scim.constants import SPARKPOST_SCHEMA, USER_SCHEMA
from scim.models import ScimGroupMembership
from scim.representation import location, with_meta
from scim.resource_types import GROUP, USER
from ssogroups.models import SSOGroup

# Column-backed attributes; "active" and the role remember whether the IdP ever assigned them,
# so an unassigned one reads back as unassigned while the default (active, group role) applies.
UNASSIGNED = "_unassigned"
_SIMPLE = {"userName": "username", "externalId": "external_id", "displayName": "display_name", "title": "title"}
_NAME = {"givenName": "first_name", "familyName": "last_name"}
# Read for every user of every page: TextChoices.values builds a new list on each access.
ROLES = frozenset(User.Role.values)
# Django field → SCIM attribute, for turning a model ValidationError into a useful detail.
FIELD_NAMES = {
    **{v: k for k, v in _SIMPLE.items()},
    **{v: f"name.{k}" for k, v in _NAME.items()},
    "email": "emails",
    "role": f"{SPARKPOST_SCHEMA}:role",
}


def users_of(sso_group: SSOGroup) -> QuerySet[User]:
    """The users a token of ``sso_group`` may see and change: those the group manages, nobody else."""
    # Crucial for isolation: scoped to the group's account *and* to the group itself, so password
    # users and users of the account's other SSO groups are a 404 and absent from imports.
    return (
        User.objects.filter(account_id=sso_group.account_id, sso_group=sso_group)
        .select_related("sso_group")
        .prefetch_related(Prefetch("scim_memberships", queryset=ScimGroupMembership.objects.select_related("group")))
    )


def default_role(user: User | None, sso_group) -> str:
    group = sso_group if sso_group is not None else getattr(user, "sso_group", None)
    role = getattr(group, "default_role", "") or User.Role.REPORTING
    return role if role in ROLES else User.Role.REPORTING


def users_page(
    sso_group: SSOGroup, keys: QuerySet, ordering: tuple, *, memberships: bool = True
) -> list[tuple[User, dict[str, Any]]]:
    """The users whose keys ``keys`` selects (one page), in ``ordering``, each with its representation;
    three queries whatever their number: the users, their emails, their group memberships (none
    when ``memberships`` is False: the account has no SCIM group).

    The rows are handed to ``to_doc`` directly; Django's prefetch_related would build two
    querysets per user (most of a 100-user page's time, measured in docs/performance.md).
    """
    # The rows are read by primary key alone: with the scope repeated here, SQLite (without
    # statistics) walked every user of the group to test the key list (2.4x slower at 100,000 users).
    # Crucial for isolation: only the users the token's group manages (as users_of) are kept,
    # whatever keys were asked for. They all belong to ``sso_group``, which is not read again.
    users = [
        user
        for user in User.objects.filter(pk__in=keys).order_by(*ordering)
        if user.account_id == sso_group.account_id and user.sso_group_id == sso_group.pk
    ]
    for user in users:
        user.sso_group = sso_group
    emails = emails_of(user.pk for user in users)
    groups: dict[int, list] = defaultdict(list)
    if memberships and users:
        for row in ScimGroupMembership.objects.filter(user_id__in=[user.pk for user in users]).select_related("group"):
            groups[row.user_id].append(row)
    return [(user, to_doc(user, emails=emails[user.pk], memberships=groups[user.pk])) for user in users]


def email_rows(doc: dict[str, Any]) -> list[UserEmail]:
    """The UserEmail rows ``user_create`` writes for a validated document's ``emails`` (unsaved):
    the same normalisation, in the same order (accounts.emails.emails_save)."""
    return [UserEmail(position=i, **email_normalise(e)) for i, e in enumerate(doc.get("emails") or [])]


def to_doc(user: User, *, emails: list | None = None, memberships: list | None = None) -> dict[str, Any]:
    """The full representation of ``user`` (before attributes/excludedAttributes).

    ``emails`` and ``memberships``: the user's rows when already loaded (users_page); else read here.
    """
    extra = copy.deepcopy(user.scim_attributes or {})
    unassigned = set(extra.pop(UNASSIGNED, []))
    extra.pop("roles", None)  # kept before 'roles' was refused; never answered as if it were the role
    doc: dict[str, Any] = {"schemas": [USER_SCHEMA], "id": str(user.scim_id)}
    for attr, field in _SIMPLE.items():
        if getattr(user, field):
            doc[attr] = getattr(user, field)
    name = extra.pop("name", {})
    name.update({attr: getattr(user, field) for attr, field in _NAME.items() if getattr(user, field)})
    if name:
        doc["name"] = name
    if not (user.is_active and "active" in unassigned):
        doc["active"] = user.is_active
    shown = [{k: v for k, v in e.items() if v not in ("", None)} for e in user_emails(user, emails)]
    if shown:
        doc["emails"] = shown
    groups = [
        {"value": str(m.group.scim_id), "$ref": location(GROUP, str(m.group.scim_id)), "display": m.group.display_name,
         "type": "direct"}
        for m in (user.scim_memberships.all() if memberships is None else memberships)
    ]  # fmt: skip
    if groups:
        doc["groups"] = groups
    extension = extra.pop(SPARKPOST_SCHEMA, {})
    if not (user.role == default_role(user, None) and "role" in unassigned):
        extension["role"] = user.role
    doc.update(extra)
    if extension:
        doc[SPARKPOST_SCHEMA] = extension
    extensions = [urn for urn in USER.extensions if urn in doc]
    doc["schemas"] = [USER_SCHEMA, *extensions]
    return with_meta(doc, USER, user.created_at, user.updated_at)


def to_fields(doc: dict[str, Any], *, sso_group) -> dict[str, Any]:
    """Service keyword arguments (accounts.users.user_create/user_update) for a normalised document."""
    doc = copy.deepcopy(doc)
    doc.pop("groups", None)
    # Never kept: the service only names it in the event as ignored (scim.validate keeps just a marker).
    ignored = ("password",) if doc.pop("password", None) is not None else ()
    fields: dict[str, Any] = {field: doc.pop(attr, "") for attr, field in _SIMPLE.items()}
    name = doc.pop("name", {})
    fields.update({field: name.pop(attr, "") for attr, field in _NAME.items()})
    if name:
        doc["name"] = name
    unassigned = []
    active = doc.pop("active", None)
    if active is None:
        unassigned.append("active")
    fields["is_active"] = True if active is None else active
    extension = doc.pop(SPARKPOST_SCHEMA, {})
    role = extension.pop("role", None)
    if role is None:
        unassigned.append("role")
    fields["role"] = role or default_role(None, sso_group)
    if extension:
        doc[SPARKPOST_SCHEMA] = extension
    emails = doc.pop("emails", [])
    fields["emails"] = emails
    fields["email"] = primary_email(emails)
    if unassigned:
        doc[UNASSIGNED] = unassigned
    fields["scim_attributes"] = doc
    fields["ignored"] = ignored
    return fields
