"""Writes to accounts and users. Views, SCIM handlers and commands call these; each records an event."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.emails import email_normalise, emails_save, emails_with_primary, user_emails
from accounts.events import event_record, jsonable
from accounts.identifiers import identifier_clean
from accounts.models import Account, User
from accounts.sessions import user_sessions_end
from sparksso import clock

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
    user.username = identifier_clean(user.username, field="username", label="The username")
    user.email = identifier_clean(user.email, field="email", label="The email address")
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
    if emails is not None:
        emails = [email_normalise(e) for e in emails]  # refuses invisible characters before any write
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        _clean_and_save(user)
        if emails is not None:
            emails_save(user, emails)
        event_record(
            account=account,
            event=event,
            actor=actor,
            target=user.username,
            request=request,
            changes={f: jsonable(getattr(user, f)) for f in USER_FIELDS if f not in _RELATED_FIELDS}
            | ({"emails": emails} if emails else {}),
        )
    return user


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
        emails = [email_normalise(e) for e in emails]
    elif "email" in fields and fields["email"] != user.email:
        emails = emails_with_primary(user, fields["email"])
    changes = {f: jsonable(v) for f, v in fields.items() if getattr(user, f) != v}
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
            emails_save(user, emails)
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
