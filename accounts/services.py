"""Writes to accounts, users and the event record. Views, SCIM handlers and commands call these."""

from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Account, Event, ScimGroup, ScimGroupMembership, User, UserEmail, UserSession
from sparksso import clock
from sparksso.middleware import client_ip

USERNAME_TAKEN = "username_taken"
LAST_ADMIN = "last_admin"
MSG_LAST_ADMIN = (
    "{username} is the account's last active admin: it cannot be deactivated, demoted or deleted "
    "until another user is an active admin."
)
USER_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "role",
    "is_active",
    "sso_group",
    "external_id",
    "display_name",
    "title",
    "scim_attributes",
    "emails",
)
# Fields that are rows of their own rather than columns of User.
_RELATED_FIELDS = ("emails",)
EMAIL_KEYS = ("value", "type", "primary", "display")


def event_record(
    *,
    account: Account | None,
    event: str,
    actor: str = "",
    target: str = "",
    outcome: str = Event.Outcome.SUCCESS,
    reason: str = "",
    request=None,
    changes: dict[str, Any] | None = None,
) -> Event:
    """Append one audit event. ``changes`` holds field names and values, never secrets."""
    return Event.objects.create(
        account=account,
        event=event,
        actor=actor[:255],
        target=target[:255],
        outcome=outcome,
        reason=reason[:500],
        ip=client_ip(request) if request is not None else None,
        request_id=getattr(request, "request_id", "") if request is not None else "",
        changes=changes or {},
    )


def _username_taken_error() -> ValidationError:
    return ValidationError(
        {"username": ValidationError("A user with that username already exists in this account.", code=USERNAME_TAKEN)}
    )


def is_username_taken(error: ValidationError) -> bool:
    """True when a ValidationError from these services is the per-account username clash."""
    return (
        any(e.code == USERNAME_TAKEN for e in error.error_dict.get("username", []))
        if hasattr(error, "error_dict")
        else False
    )


def _clean_and_save(user: User) -> None:
    user.username = user.username.strip()
    user.email = user.email.strip()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        if any(e.code == USERNAME_TAKEN for e in exc.error_dict.get("__all__", [])):
            raise _username_taken_error() from exc
        raise
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent create won the race for this username
        raise _username_taken_error() from exc


def user_create(
    *,
    account: Account,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    role: str = User.Role.REPORTING,
    is_active: bool = True,
    password: str | None = None,
    sso_group=None,
    external_id: str = "",
    display_name: str = "",
    title: str = "",
    scim_attributes: dict[str, Any] | None = None,
    emails: list[dict[str, Any]] | None = None,
    actor: str = "",
    request=None,
    event: str = "user_create",
) -> User:
    """Validate and create a user; a clash of usernames (case-insensitive) raises ValidationError.

    ``emails`` are SCIM email dicts (value, type, primary, display) kept as rows in that order.
    """
    user = User(
        account=account,
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        is_active=is_active,
        sso_group=sso_group,
        external_id=external_id,
        display_name=display_name,
        title=title,
        scim_attributes=scim_attributes or {},
    )
    user.created_at = user.updated_at = clock.now()
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        _clean_and_save(user)
        if emails is not None:
            _emails_save(user, emails)
        event_record(
            account=account,
            event=event,
            actor=actor,
            target=user.username,
            request=request,
            changes={f: _jsonable(getattr(user, f)) for f in USER_FIELDS if f not in _RELATED_FIELDS}
            | ({"emails": emails} if emails else {}),
        )
    return user


def _email_dicts(rows) -> list[dict[str, Any]]:
    return [{k: getattr(row, k) for k in EMAIL_KEYS} for row in rows]


def user_emails(user: User) -> list[dict[str, Any]]:
    """The user's SCIM emails as dicts, in order; a user with none but an ``email`` shows that one."""
    rows = _email_dicts(user.emails.all() if user.pk else [])  # uses a prefetch when there is one
    if not rows and user.email:
        rows = [{"value": user.email, "type": "", "primary": True, "display": ""}]
    return rows


def _email_normalise(email: dict[str, Any]) -> dict[str, Any]:
    return {
        "value": email["value"],
        "type": email.get("type") or "",
        "primary": email.get("primary"),
        "display": email.get("display") or "",
    }


def _emails_save(user: User, emails: list[dict[str, Any]]) -> None:
    UserEmail.objects.filter(user=user).delete()
    UserEmail.objects.bulk_create(UserEmail(user=user, position=i, **_email_normalise(e)) for i, e in enumerate(emails))


def primary_email(emails: list[dict[str, Any]]) -> str:
    """The address User.email mirrors: the primary one, else the first, else none."""
    for e in emails:
        if e.get("primary"):
            return e["value"]
    return emails[0]["value"] if emails else ""


def _emails_with_primary(user: User, email: str) -> list[dict[str, Any]] | None:
    """The stored emails with ``email`` as the primary one, so User.email keeps mirroring them (a
    sign-in changing only ``email`` must not leave SCIM reading back the old address). None when
    the user has no stored emails: then ``email`` alone is what SCIM shows."""
    stored = _email_dicts(UserEmail.objects.filter(user=user))
    if not stored:
        return None
    if not email:
        return []
    if any(e["value"].lower() == email.lower() for e in stored):
        return [
            {**e, "primary": True if e["value"].lower() == email.lower() else (False if e["primary"] else e["primary"])}
            for e in stored
        ]
    index = next((i for i, e in enumerate(stored) if e["primary"]), 0)
    stored[index] = {**stored[index], "value": email, "primary": True}
    return stored


def _jsonable(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


def is_last_admin_error(error: ValidationError) -> bool:
    """True when a ValidationError from these services protects the account's last active admin."""
    return any(e.code == LAST_ADMIN for e in error.error_list) if not hasattr(error, "error_dict") else False


def _last_admin_guard(user: User, *, stays_admin: bool) -> None:
    """Refuse to leave an account without an active admin (an IdP's SCIM token could otherwise lock
    the account out of its own administration)."""
    if stays_admin or not (user.role == User.Role.ADMIN and user.is_active):
        return
    others = User.objects.filter(account_id=user.account_id, role=User.Role.ADMIN, is_active=True).exclude(pk=user.pk)
    if not others.exists():
        raise ValidationError(MSG_LAST_ADMIN.format(username=user.username), code=LAST_ADMIN)


def user_update(*, user: User, actor: str = "", request=None, event: str = "user_update", **fields: Any) -> User:
    """Change the given fields; records only what actually changed. Deactivation ends sessions."""
    unknown = set(fields) - set(USER_FIELDS)
    if unknown:
        raise TypeError(f"user_update got unknown fields: {sorted(unknown)}")
    emails = fields.pop("emails", None)
    if emails is not None:
        emails = [_email_normalise(e) for e in emails]
    elif "email" in fields and fields["email"] != user.email:
        emails = _emails_with_primary(user, fields["email"])
    changes = {f: _jsonable(v) for f, v in fields.items() if getattr(user, f) != v}
    if emails is not None and emails != user_emails(user):
        changes["emails"] = emails
    if not changes:
        return user
    _last_admin_guard(
        user,
        stays_admin=fields.get("role", user.role) == User.Role.ADMIN and fields.get("is_active", user.is_active),
    )
    for name, value in fields.items():
        setattr(user, name, value)
    user.updated_at = clock.now()
    with transaction.atomic():
        _clean_and_save(user)
        if "emails" in changes:
            _emails_save(user, emails)
        event_record(
            account=user.account, event=event, actor=actor, target=user.username, request=request, changes=changes
        )
    if changes.get("is_active") is False:
        user_sessions_end(user=user)
    return user


def user_deactivate(*, user: User, actor: str = "", request=None, event: str = "user_deactivate") -> User:
    """Deactivate and end every open session of the user in this same request."""
    return user_update(user=user, actor=actor, request=request, event=event, is_active=False)


def user_delete(*, user: User, actor: str = "", request=None, event: str = "user_delete") -> None:
    """Delete the user, ending their sessions first. The last active admin cannot be deleted."""
    _last_admin_guard(user, stays_admin=False)
    user_sessions_end(user=user)
    with transaction.atomic():
        event_record(account=user.account, event=event, actor=actor, target=user.username, request=request)
        user.delete()


def user_set_password(*, user: User, password: str, actor: str = "", request=None) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
    event_record(account=user.account, event="user_password_set", actor=actor, target=user.username, request=request)


def _sessions_end(tracked) -> int:
    """Delete the tracked sessions from the session store (any worker, any host), then the tracking."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(tracked.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def user_sessions_end(*, user: User) -> int:
    """Delete every session the user holds."""
    return _sessions_end(UserSession.objects.filter(user=user))


def sso_group_sessions_end(*, group) -> int:
    """End every session signed in through ``group`` (its bound users' SSO sessions), e.g. when an
    admin disables or deletes the IdP connection because it is compromised."""
    return _sessions_end(UserSession.objects.filter(user__sso_group=group, auth_method="sso"))


def account_create(
    *,
    name: str,
    admin_email: str,
    admin_password: str | None = None,
    plan: str = Account.Plan.STARTER,
    actor: str = "system",
) -> tuple[Account, User]:
    """Create an account and its first admin (username = email) in one transaction."""
    account = Account(name=name.strip(), plan=plan)
    with transaction.atomic():
        account.full_clean()
        account.save()
        admin = user_create(
            account=account,
            username=admin_email,
            email=admin_email,
            role=User.Role.ADMIN,
            password=admin_password,
            actor=actor,
        )
        event_record(account=account, event="account_create", actor=actor, target=account.name, changes={"plan": plan})
    return account, admin


def _members_save(group: ScimGroup, members: list[User]) -> None:
    ScimGroupMembership.objects.filter(group=group).delete()
    seen: set[int] = set()
    rows = []
    for user in members:
        if user.account_id != group.account_id:  # crucial: members are users of the group's own account
            raise ValidationError({"members": ValidationError("A member is not a user of this account.")})
        if user.pk not in seen:
            seen.add(user.pk)
            rows.append(ScimGroupMembership(group=group, user=user, position=len(rows)))
    ScimGroupMembership.objects.bulk_create(rows)


def group_create(
    *,
    account: Account,
    display_name: str,
    external_id: str = "",
    members: list[User] | None = None,
    actor: str = "",
    request=None,
    event: str = "group_create",
) -> ScimGroup:
    """Create a SCIM group and its memberships in one transaction."""
    now = clock.now()
    group = ScimGroup(
        account=account, display_name=display_name.strip(), external_id=external_id, created_at=now, updated_at=now
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


def group_update(
    *,
    group: ScimGroup,
    display_name: str,
    external_id: str,
    members: list[User],
    actor: str = "",
    request=None,
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


def group_delete(*, group: ScimGroup, actor: str = "", request=None, event: str = "group_delete") -> None:
    with transaction.atomic():
        event_record(account=group.account, event=event, actor=actor, target=group.display_name, request=request)
        group.delete()
