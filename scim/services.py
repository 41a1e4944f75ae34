"""Writes to SCIM groups (``scim_group_*``, not to be confused with SSO groups) and their members."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest

from accounts.event_types import EventType
from accounts.events import event_record
from accounts.models import Account, User
from scim.event_types import ScimEvent
from scim.models import ScimGroup, ScimGroupMembership
from sparksso import clock
from ssogroups.models import SSOGroup


def _members_checked(group: ScimGroup, members: list[User]) -> list[User]:
    """``members`` once each, in order; refused unless every one may belong to ``group``."""
    unique: dict[int, User] = {}
    for user in members:
        # Crucial: members are users of the group's own account that its SSO group manages.
        if user.account_id != group.account_id or user.sso_group_id != group.sso_group_id:
            raise ValidationError({"members": ValidationError("A member is not a user this SSO group manages.")})
        unique.setdefault(user.pk, user)
    return list(unique.values())


def _members_save(group: ScimGroup, before: list[int], members: list[User]) -> None:
    """Write only what changed: one row inserted per member added, one DELETE for those removed.
    The rows that stay are left alone unless a replace reorders them; then they are renumbered."""
    after = [user.pk for user in members]
    before_set, after_set = set(before), set(after)
    removed = before_set - after_set
    if removed:
        ScimGroupMembership.objects.filter(group=group, user_id__in=removed).delete()
    added = [user for user in members if user.pk not in before_set]
    kept = [pk for pk in after if pk in before_set]
    if after == kept + [user.pk for user in added] and kept == [pk for pk in before if pk in after_set]:
        # The usual change (add, remove): new members go after the last row, nothing else moves.
        start = 0
        if added and kept:
            start = 1 + ScimGroupMembership.objects.filter(group=group).aggregate(last=Max("position"))["last"]
        positions = {user.pk: start + i for i, user in enumerate(added)}
    else:
        positions = {pk: i for i, pk in enumerate(after)}
        rows = list(ScimGroupMembership.objects.filter(group=group))
        for row in rows:
            row.position = positions[row.user_id]
        ScimGroupMembership.objects.bulk_update(rows, ["position"])
    ScimGroupMembership.objects.bulk_create(
        ScimGroupMembership(group=group, user=user, position=positions[user.pk]) for user in added
    )


def scim_group_create(
    *,
    account: Account,
    sso_group: SSOGroup,
    display_name: str,
    external_id: str = "",
    members: list[User] | None = None,
    actor: str = "",
    request: HttpRequest | None = None,
    event: EventType = ScimEvent.GROUP_CREATE_PROVISION,
) -> ScimGroup:
    """Create a SCIM group and its memberships in one transaction."""
    now = clock.now()
    group = ScimGroup(
        account=account,
        sso_group=sso_group,
        display_name=display_name.strip(),
        external_id=external_id,
        created_at=now,
        updated_at=now,
    )
    group.full_clean()
    with transaction.atomic():
        group.save()
        _members_save(group, [], _members_checked(group, members or []))
        event_record(
            account=account,
            event=event,
            actor=actor,
            target=group.display_name,
            request=request,
            changes={"displayName": group.display_name, "externalId": external_id, "members": len(members or [])},
        )
    return group


def scim_group_update(
    *,
    group: ScimGroup,
    display_name: str,
    external_id: str,
    members: list[User],
    actor: str = "",
    request: HttpRequest | None = None,
    event: EventType = ScimEvent.GROUP_UPDATE_PROVISION,
) -> ScimGroup:
    """Replace a group's name, external id and members; records what changed."""
    members = _members_checked(group, members)
    before_order = list(group.memberships.values_list("user_id", flat=True))
    before, after = set(before_order), {u.pk for u in members}
    changes: dict[str, Any] = {}
    if group.display_name != display_name.strip():
        changes["displayName"] = display_name.strip()
    if group.external_id != external_id:
        changes["externalId"] = external_id
    if after - before:
        changes["members_added"] = sorted(after - before)
    if before - after:
        changes["members_removed"] = sorted(before - after)
    order_changed = before_order != [u.pk for u in members]
    if not changes and not order_changed:
        return group
    group.display_name = display_name.strip()
    group.external_id = external_id
    group.updated_at = clock.now()
    group.full_clean()
    with transaction.atomic():
        group.save()
        _members_save(group, before_order, members)
        event_record(
            account=group.account, event=event, actor=actor, target=group.display_name, request=request, changes=changes
        )
    return group


def scim_group_delete(
    *,
    group: ScimGroup,
    actor: str = "",
    request: HttpRequest | None = None,
    event: EventType = ScimEvent.GROUP_DELETE_PROVISION,
) -> None:
    with transaction.atomic():
        event_record(account=group.account, event=event, actor=actor, target=group.display_name, request=request)
        group.delete()
