"""Writes to accounts and users. Views, SCIM handlers and commands call these; each records an event."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest

from accounts.emails import email_normalise, emails_save, emails_with_primary, user_emails
from accounts.event_types import AccountEvent, EventType
from accounts.events import event_record, jsonable, user_event_record
from accounts.identifiers import identifier_clean
from accounts.models import Account, User
from accounts.selectors import username_is
from accounts.sessions import user_sessions_end
from sparksso import clock

USERNAME_TAKEN = "username_taken"


LAST_ADMIN = "last_admin"


MSG_LAST_ADMIN = (
    "{username} is the account's last active admin who signs in with a password (its break-glass "
    "account): it cannot be deactivated, demoted, deleted or handed to an SSO group until another "
    "active admin signs in with a password."
)
MSG_MANAGED_NO_PASSWORD = "{username} signs in through an SSO group and cannot have a password."


USER_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "role",
    "is_active",
    "external_id",
    "display_name",
    "title",
    "scim_attributes",
    "emails",
)


_IDENTIFIER_LABELS = {"username": "The username", "email": "The email address"}

# Fields that are rows of their own rather than columns of User.
_RELATED_FIELDS = ("emails",)


def _ignored(names: tuple[str, ...]) -> dict[str, str]:
    """What an event says of input the caller received and did not keep (a SCIM password)."""
    return dict.fromkeys(names, "ignored")


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
    """Check the fields in memory, then save; a username clash is the per-account ValidationError.

    The field rules run here without a query: the account and the group are the caller's own
    objects, and the case-insensitive username per account is the database's unique constraint,
    which also settles a race between two creates. Only when the save fails does a query ask
    whether it was that clash (docs/performance.md: a SCIM create had four such queries)."""
    user.username = identifier_clean(user.username, field="username", label=_IDENTIFIER_LABELS["username"])
    user.email = identifier_clean(user.email, field="email", label=_IDENTIFIER_LABELS["email"])
    user.full_clean(exclude=["password", "account", "sso_group"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        if _username_taken(user):
            raise _username_taken_error() from exc
        raise


def _username_taken(user: User) -> bool:
    """Another user of the account has this username, compared as the unique constraint does."""
    return User.objects.filter(username_is(user.username), account_id=user.account_id).exclude(pk=user.pk).exists()


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
    ignored: tuple[str, ...] = (),
    actor: str = "",
    request: HttpRequest | None = None,
    event: EventType = AccountEvent.USER_CREATE,
) -> User:
    """Validate and create a user; a clash of usernames (case-insensitive) raises ValidationError.

    ``emails`` are SCIM email dicts (value, type, primary, display) kept as rows in that order.
    ``ignored``: names of input that was received and dropped; the event says so.
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
    if emails is not None:
        emails = [email_normalise(e) for e in emails]  # refuses invisible characters before any write
    if password and sso_group is None:  # a managed user signs in through its group only
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        _clean_and_save(user)
        if emails:
            emails_save(user, emails, replace=False)
        columns = {f: jsonable(getattr(user, f)) for f in USER_FIELDS if f not in _RELATED_FIELDS}
        changes = columns | ({"emails": emails} if emails else {}) | _ignored(ignored)
        user_event_record(user=user, event=event, actor=actor, request=request, changes=changes)
    return user


def is_last_admin_error(error: ValidationError) -> bool:
    """True when a ValidationError from these services protects the account's break-glass admin."""
    return any(e.code == LAST_ADMIN for e in error.error_list) if not hasattr(error, "error_dict") else False


def is_break_glass(user: User) -> bool:
    """An active admin whom no SSO group manages and who has a password: the way in when the IdP fails."""
    return (
        user.is_active
        and user.role == User.Role.ADMIN
        and user.sso_group_id is None
        and bool(user.password)
        and user.has_usable_password()
    )


def _break_glass_guard(user: User, *, after: dict[str, Any]) -> None:
    """Refuse a change that would leave the account without an active admin, or without a break-glass
    admin (active, unmanaged, with a password) when it had one. ``after`` holds the changed values
    (role, is_active, sso_group_id, password_usable); absent ones stay as they are.

    Only meaningful under ``_account_lock``: a check made outside it loses races."""
    stays_admin = after.get("is_active", user.is_active) and after.get("role", user.role) == User.Role.ADMIN
    stays_break_glass = stays_admin and after.get("sso_group_id", user.sso_group_id) is None
    stays_break_glass = stays_break_glass and after.get("password_usable", True)
    # Scoped to the user's own account: another account's admins never count.
    admins = User.objects.filter(account_id=user.account_id, role=User.Role.ADMIN, is_active=True).exclude(pk=user.pk)
    if user.is_active and user.is_admin and not stays_admin and not admins.exists():
        raise ValidationError(MSG_LAST_ADMIN.format(username=user.username), code=LAST_ADMIN)
    if is_break_glass(user) and not stays_break_glass:
        others = admins.filter(sso_group=None).exclude(password="").exclude(password__startswith="!")  # "!": unusable
        if not others.exists():
            raise ValidationError(MSG_LAST_ADMIN.format(username=user.username), code=LAST_ADMIN)


# What _break_glass_guard reads of the user itself: re-read once the lock is held.
_GUARDED_FIELDS = ("is_active", "role", "sso_group", "password")


def _account_lock(user: User) -> None:
    """Inside transaction.atomic(): serialise, per account, every change that can take an admin away,
    then re-read what the guard reads of ``user``. Two admins demoting each other at once, or one
    admin deactivating B while binding herself, must not both pass the check.

    PostgreSQL: a row lock on the account (SELECT … FOR UPDATE), held to the commit. SQLite: every
    transaction.atomic() is BEGIN IMMEDIATE (sparksso/db.py, tests/test_db.py), so the write lock is
    already held when this runs and every read after it sees the latest commit.

    NO KEY UPDATE: it excludes every other holder of this lock as FOR UPDATE would, but not the
    KEY SHARE lock each insert referencing the account takes at its commit. With FOR UPDATE, a create
    holding its group's user count (ssogroups.user_counts) waited here while a delete holding this
    lock waited for that count: a deadlock under concurrent SCIM creates and deletes."""
    if connection.features.has_select_for_update:
        accounts = Account.objects.select_for_update(no_key=True).filter(pk=user.account_id)
        list(accounts.values_list("pk", flat=True))
    user.refresh_from_db(fields=_GUARDED_FIELDS)


def user_update(
    *,
    user: User,
    actor: str = "",
    request: HttpRequest | None = None,
    event: EventType = AccountEvent.USER_UPDATE,
    ignored: tuple[str, ...] = (),
    **fields: Any,
) -> User:
    """Change the given fields; records only what actually changed (and ``ignored``, input that was
    dropped: an update of nothing else still records it). Deactivation ends sessions.

    A change of role or status is checked against the break-glass rule and written in one
    transaction that holds the account lock."""
    unknown = set(fields) - set(USER_FIELDS)
    if unknown:
        raise TypeError(f"user_update got unknown fields: {sorted(unknown)}")
    emails = fields.pop("emails", None)
    if emails is not None:
        emails = [email_normalise(e) for e in emails]
    for name, label in _IDENTIFIER_LABELS.items():  # compared in the stored form: an IdP's spelling is no change
        if isinstance(fields.get(name), str):
            fields[name] = identifier_clean(fields[name], field=name, label=label)
    guarded = {k: fields[k] for k in ("role", "is_active") if k in fields}
    with transaction.atomic():
        if guarded:
            _account_lock(user)
        if emails is None and "email" in fields and fields["email"] != user.email:
            emails = emails_with_primary(user, fields["email"])
        changes = {f: jsonable(v) for f, v in fields.items() if getattr(user, f) != v}
        if emails is not None and emails != user_emails(user):
            changes["emails"] = emails
        if not changes:
            if ignored:
                user_event_record(user=user, event=event, actor=actor, request=request, changes=_ignored(ignored))
            return user
        _break_glass_guard(user, after=guarded)
        for name, value in fields.items():
            setattr(user, name, value)
        user.updated_at = clock.now()
        _clean_and_save(user)
        if "emails" in changes:
            emails_save(user, emails)
        user_event_record(user=user, event=event, actor=actor, request=request, changes=changes | _ignored(ignored))
    if changes.get("is_active") is False:
        user_sessions_end(user=user)
    return user


def user_deactivate(
    *, user: User, actor: str = "", request: HttpRequest | None = None, event: EventType = AccountEvent.USER_DEACTIVATE
) -> User:
    """Deactivate and end every open session of the user in this same request."""
    return user_update(user=user, actor=actor, request=request, event=event, is_active=False)


def user_delete(
    *, user: User, actor: str = "", request: HttpRequest | None = None, event: EventType = AccountEvent.USER_DELETE
) -> None:
    """Delete the user and end their sessions. The last break-glass admin cannot be deleted."""
    with transaction.atomic():
        _account_lock(user)
        _break_glass_guard(user, after={"is_active": False})
        user_sessions_end(user=user)
        user_event_record(user=user, event=event, actor=actor, request=request)
        user.delete()


def user_set_password(*, user: User, password: str, actor: str = "", request: HttpRequest | None = None) -> None:
    """Set a password; a user an SSO group manages never has one (SSO and passwords are exclusive)."""
    if user.sso_group_id is not None:
        raise ValidationError(MSG_MANAGED_NO_PASSWORD.format(username=user.username))
    user.set_password(password)
    user.save(update_fields=["password"])
    user_event_record(user=user, event=AccountEvent.USER_PASSWORD_SET, actor=actor, request=request)


def user_manage(
    *,
    user: User,
    sso_group: Any,
    actor: str,
    request: HttpRequest | None = None,
    event: EventType,
) -> User:
    """Make ``sso_group`` (an SSO group of the user's account, or None) manage the user.

    Binding removes the usable password and ends the user's sessions: SSO and password sign-in are
    exclusive. The account's last break-glass admin cannot be bound. Callers check that the group
    belongs to the user's account (ssogroups.managed does).
    """
    group_id = sso_group.pk if sso_group is not None else None
    with transaction.atomic():
        _account_lock(user)
        if user.sso_group_id == group_id:
            return user
        _break_glass_guard(user, after={"sso_group_id": group_id, "password_usable": group_id is None})
        had_password = user.has_usable_password() and bool(user.password)
        user.sso_group = sso_group
        if sso_group is not None:
            user.set_unusable_password()
        user.updated_at = clock.now()
        user.save(update_fields=["sso_group", "password", "updated_at"])
        changes = {"sso_group": getattr(sso_group, "slug", None), "password_removed": had_password and bool(group_id)}
        user_event_record(user=user, event=event, actor=actor, request=request, changes=changes)
    user_sessions_end(user=user)
    return user


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
        event_record(
            account=account, event=AccountEvent.ACCOUNT_CREATE, actor=actor, target=account.name, changes={"plan": plan}
        )
    return account, admin
