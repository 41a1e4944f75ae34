"""Writes to SCIM groups (``scim_group_*``, not to be confused with SSO groups) and their members."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from accounts.events import event_record
from accounts.models import Account, User
from scim.models import ScimGroup, ScimGroupMembership
from sparksso import clock
from ssogroups.models import SSOGroup


def _members_save(group: ScimGroup, members: list[User]) -> None:
    ScimGroupMembership.objects.filter(group=group).delete()
    seen: set[int] = set()
    rows = []
    for user in members:
        # Crucial: members are users of the group's own account that its SSO group manages.
        if user.account_id != group.account_id or user.sso_group_id != group.sso_group_id:
            raise ValidationError({"members": ValidationError("A member is not a user this SSO group manages.")})
        if user.pk not in seen:
            seen.add(user.pk)
            rows.append(ScimGroupMembership(group=group, user=user, position=len(rows)))
    ScimGroupMembership.objects.bulk_create(rows)


def scim_group_create(
    *,
    account: Account,
    sso_group: SSOGroup,
    display_name: str,
    external_id: str = "",
    members: list[User] | None = None,
    actor: str = "",
    request: HttpRequest | None = None,
    event: str = "group_create",
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
        _members_save(group, members or [])
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
    event: str = "group_update",
) -> ScimGroup:
    """Replace a group's name, external id and members; records what changed."""
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
        _members_save(group, members)
        event_record(
            account=group.account, event=event, actor=actor, target=group.display_name, request=request, changes=changes
        )
    return group


def scim_group_delete(
    *, group: ScimGroup, actor: str = "", request: HttpRequest | None = None, event: str = "group_delete"
) -> None:
    with transaction.atomic():
        event_record(account=group.account, event=event, actor=actor, target=group.display_name, request=request)
        group.delete()
