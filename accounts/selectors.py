"""Reads of the event record, shared by the event log page, its JSON export and events_export."""

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils.dateparse import parse_datetime

from accounts.models import Account, Event

MSG_BAD_SINCE = "since must be an ISO 8601 date-time with a time zone, e.g. 2026-11-28T12:00:00Z"
EXPORT_FIELDS = ("time", "event", "actor", "target", "outcome", "reason", "ip", "request_id", "changes")


def events_for_account(*, account: Account, since: datetime | None = None, event: str | None = None) -> QuerySet[Event]:
    """The account's events, oldest first. Scoped to the account: tenants never see each other."""
    events = Event.objects.filter(account=account)
    if since is not None:
        events = events.filter(time__gte=since)
    if event:
        events = events.filter(event=event)
    return events.order_by("time", "id")


def event_as_dict(event: Event) -> dict[str, Any]:
    data = {field: getattr(event, field) for field in EXPORT_FIELDS}
    data["time"] = event.time.isoformat().replace("+00:00", "Z")
    return data


def parse_since(value: str) -> datetime:
    """An ISO 8601 date-time with a zone (``Z`` allowed); ValueError with MSG_BAD_SINCE otherwise."""
    try:
        since = parse_datetime(value.strip().replace("Z", "+00:00"))
    except ValueError:
        since = None
    if since is None or since.tzinfo is None:
        raise ValueError(MSG_BAD_SINCE)
    return since


def username_is(value: str) -> Q:
    """Case-insensitive username match, compared the way the unique constraint compares
    (LOWER on both sides), so the (LOWER(username), account) index serves it. ``iexact``
    would be UPPER(...) on PostgreSQL and LIKE on SQLite: a scan of every user."""
    return Q(Exact(Lower("username"), Lower(Value(value))))


def email_is(value: str) -> Q:
    """Case-insensitive email match served by the (LOWER(email), account) index."""
    return Q(Exact(Lower("email"), Lower(Value(value))))
