"""Writes to accounts, users and the event record. Views, SCIM handlers and commands call these."""

from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.middleware import client_ip
from accounts.models import Account, Event, User, UserSession
from sparksso import clock

USERNAME_TAKEN = "username_taken"
USER_FIELDS = ("username", "email", "first_name", "last_name", "role", "is_active", "sso_group", "external_id")


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
    actor: str = "",
    request=None,
    event: str = "user_create",
) -> User:
    """Validate and create a user; a clash of usernames (case-insensitive) raises ValidationError."""
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
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        _clean_and_save(user)
        event_record(
            account=account,
            event=event,
            actor=actor,
            target=user.username,
            request=request,
            changes={f: _jsonable(getattr(user, f)) for f in USER_FIELDS},
        )
    return user


def _jsonable(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


def user_update(*, user: User, actor: str = "", request=None, event: str = "user_update", **fields: Any) -> User:
    """Change the given fields; records only what actually changed. Deactivation ends sessions."""
    unknown = set(fields) - set(USER_FIELDS)
    if unknown:
        raise TypeError(f"user_update got unknown fields: {sorted(unknown)}")
    changes = {f: _jsonable(v) for f, v in fields.items() if getattr(user, f) != v}
    if not changes:
        return user
    for name, value in fields.items():
        setattr(user, name, value)
    user.updated_at = clock.now()
    with transaction.atomic():
        _clean_and_save(user)
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
    """Delete the user, ending their sessions first."""
    user_sessions_end(user=user)
    with transaction.atomic():
        event_record(account=user.account, event=event, actor=actor, target=user.username, request=request)
        user.delete()


def user_set_password(*, user: User, password: str, actor: str = "", request=None) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
    event_record(account=user.account, event="user_password_set", actor=actor, target=user.username, request=request)


def user_sessions_end(*, user: User) -> int:
    """Delete every session the user holds (any worker, any host: sessions live in the database)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


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
