"""A user's SCIM ``emails`` as rows, and how ``User.email`` mirrors the primary one."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from accounts.identifiers import identifier_clean
from accounts.models import User, UserEmail

EMAIL_KEYS = ("value", "type", "primary", "display")


def email_dicts(rows) -> list[dict[str, Any]]:
    return [{k: getattr(row, k) for k in EMAIL_KEYS} for row in rows]


def emails_of(user_ids: Iterable[int]) -> dict[int, list[UserEmail]]:
    """The UserEmail rows of these users, each user's in order, in one query: the one way a user's
    emails are read (one user or a page of them). A user without rows maps to an empty list."""
    found: dict[int, list[UserEmail]] = defaultdict(list)
    for row in UserEmail.objects.filter(user_id__in=list(user_ids)):
        found[row.user_id].append(row)
    return found


def user_emails(user: User, rows: list | None = None) -> list[dict[str, Any]]:
    """The user's SCIM emails as dicts, in order; a user with none but an ``email`` shows that one.

    ``rows``: the user's UserEmail rows, when the caller loaded a whole page of users' at once.
    """
    if rows is None:
        rows = emails_of([user.pk])[user.pk] if user.pk else []
    rows = email_dicts(rows)
    if not rows and user.email:
        rows = [{"value": user.email, "type": "", "primary": True, "display": ""}]
    return rows


def email_normalise(email: dict[str, Any]) -> dict[str, Any]:
    """One SCIM email with every key present; the address NFKC, refused with invisible characters."""
    return {
        "value": identifier_clean(email["value"], field="email", label="The email address"),
        "type": email.get("type") or "",
        "primary": email.get("primary"),
        "display": email.get("display") or "",
    }


def emails_save(user: User, emails: list[dict[str, Any]], *, replace: bool = True) -> None:
    """Store ``emails`` as the user's rows, in order; ``replace=False`` for a user who has none yet."""
    if replace:
        UserEmail.objects.filter(user=user).delete()
    UserEmail.objects.bulk_create(UserEmail(user=user, position=i, **email_normalise(e)) for i, e in enumerate(emails))


def primary_email(emails: list[dict[str, Any]]) -> str:
    """The address User.email mirrors: the primary one, else the first, else none."""
    for e in emails:
        if e.get("primary"):
            return e["value"]
    return emails[0]["value"] if emails else ""


def emails_with_primary(user: User, email: str) -> list[dict[str, Any]] | None:
    """The stored emails with ``email`` as the primary one, so User.email keeps mirroring them (a
    sign-in changing only ``email`` must not leave SCIM reading back the old address). None when
    the user has no stored emails: then ``email`` alone is what SCIM shows."""
    stored = email_dicts(emails_of([user.pk])[user.pk])
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
