"""Event names: one enum type, one member per name, each saying what it records.

Why: events are what an admin, an auditor and an IdP's engineer read, and the README's table is
generated from these members (``python manage.py events_table``), so the names in code, in the log
and in the docs cannot drift apart. Each layer declares the events it records in its own
``event_types`` module (accounts here, then ssogroups, scim): a lower layer never names a higher
layer's events. Names follow JumpCloud's Directory Insights where one exists.
"""

from enum import StrEnum
from functools import cache

from django.utils.module_loading import autodiscover_modules


class EventType(StrEnum):
    """The base of every layer's event enum: a member is its name (a ``str``) plus the README's area
    and a one-line description."""

    def __new__(cls, value: str, area: str = "", description: str = "") -> "EventType":
        member = str.__new__(cls, value)
        member._value_ = value
        member.area = area
        member.description = description
        return member

    def __str__(self) -> str:
        return self.value


class AccountEvent(EventType):
    """Sign-in, sessions and users, as accounts records them."""

    PASSWORD_LOGIN_SUCCESS = "password_login_success", "sign-in", "A password sign-in succeeded."
    PASSWORD_LOGIN_FAILURE = "password_login_failure", "sign-in", "A password sign-in was refused (with the reason)."
    BREAK_GLASS_SIGN_IN = (
        "break_glass_sign_in",
        "sign-in",
        "A password admin signed in while an SSO group of the account is enabled.",
    )
    REAUTH_SUCCESS = "reauth_success", "sign-in", "A signed-in user confirmed it is them (password or IdP)."
    REAUTH_FAILURE = "reauth_failure", "sign-in", "A confirmation was refused (with the reason)."
    LOGOUT = "logout", "sign-in", "A user signed out."
    ACCOUNT_CREATE = "account_create", "users", "An account and its first admin were created."
    USER_CREATE = "user_create", "users", "An admin added a user."
    USER_UPDATE = "user_update", "users", "A user's fields changed (the changed fields are in `changes`)."
    USER_ACTIVATE = "user_activate", "users", "An admin reactivated a user."
    USER_DEACTIVATE = "user_deactivate", "users", "An admin deactivated a user; her sessions ended."
    USER_DELETE = "user_delete", "users", "A user was deleted; her sessions ended."
    USER_PASSWORD_SET = "user_password_set", "users", "A password was set."
    USER_IMPORT = "user_import", "users", "Users were imported in bulk."
    USER_IDENTIFIER_NORMALISE = (
        "user_identifier_normalise",
        "users",
        "A stored username or email was re-folded to IDNA 2008 (or kept, when the new form clashes).",
    )


def event_types() -> list[type[EventType]]:
    """Every layer's event enum (importing each installed app's ``event_types`` module first)."""
    autodiscover_modules("event_types")
    found, pending = [], list(EventType.__subclasses__())
    while pending:
        enum = pending.pop(0)
        found.append(enum)
        pending.extend(enum.__subclasses__())
    return found


@cache
def event_names() -> frozenset[str]:
    """Every declared event name (read once: the enums are fixed when the apps are loaded)."""
    return frozenset(member.value for enum in event_types() for member in enum)


AREAS = ("sign-in", "users", "SSO groups", "SCIM")


def events_table_markdown() -> str:
    """The README's event table: one row per area, its events in declaration order."""
    members = [m for enum in event_types() for m in enum]
    unknown = sorted({m.area for m in members} - set(AREAS))
    if unknown:
        raise ValueError(f"events with an area the table does not know: {unknown}")
    rows = ["| area | event | what it records |", "|---|---|---|"]
    for area in AREAS:
        for member in (m for m in members if m.area == area):
            rows.append(f"| {area} | `{member.value}` | {member.description} |")
    return "\n".join(rows) + "\n"
