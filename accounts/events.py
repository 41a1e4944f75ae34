"""The append-only audit record: every admin, SSO and SCIM action appends one event."""

from typing import Any

from django.http import HttpRequest

from accounts.event_types import EventType, event_names
from accounts.models import Account, Event, User
from sparksso.middleware import client_ip


def event_record(
    *,
    account: Account | None,
    event: EventType | str,
    actor: str = "",
    target: str = "",
    outcome: str = Event.Outcome.SUCCESS,
    reason: str = "",
    request: HttpRequest | None = None,
    changes: dict[str, Any] | None = None,
) -> Event:
    """Append one audit event. ``changes`` holds field names and values, never secrets.

    Raises ValueError for a name no layer's event enum declares (accounts/event_types.py), so a
    misspelt or undocumented event never reaches the log.
    """
    if str(event) not in event_names():
        raise ValueError(f"unknown event {event!r}: declare it in an event_types module")
    return Event.objects.create(
        account=account,
        event=str(event),
        actor=actor[:255],
        target=target[:255],
        outcome=outcome,
        reason=reason[:500],
        ip=client_ip(request) if request is not None else None,
        request_id=getattr(request, "request_id", "") if request is not None else "",
        changes=changes or {},
    )


def jsonable(value: Any) -> Any:
    """A value fit for an event's ``changes``: a model instance becomes its primary key, a time ISO 8601."""
    if hasattr(value, "pk"):
        return value.pk
    return value.isoformat() if hasattr(value, "isoformat") else value


def user_event_record(
    *, user: User, event: EventType | str, actor: str | None = None, request: HttpRequest | None = None, **details: Any
) -> Event:
    """An event about ``user``: in its account, with its username as the target. Without ``actor`` the
    user acted on themself (signing in, signing out, confirming a password)."""
    actor = user.username if actor is None else actor
    return event_record(
        account=user.account, event=event, actor=actor, target=user.username, request=request, **details
    )
