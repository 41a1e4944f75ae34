"""Reads of the event record (the event log's JSON export, events_export) and the case-insensitive
username and email matches."""

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils.dateparse import parse_datetime

from accounts.models import Account, Event

MSG_BAD_MOMENT = "{name} must be an ISO 8601 date-time with a time zone, e.g. 2026-11-28T12:00:00Z"
MSG_BAD_SINCE = MSG_BAD_MOMENT.format(name="since")
MSG_BAD_UNTIL = MSG_BAD_MOMENT.format(name="until")
EXPORT_FIELDS = ("time", "event", "actor", "target", "outcome", "reason", "ip", "request_id", "changes")
EXPORT_CHUNK_ROWS = 500  # rows fetched from the database at a time, and events per streamed piece


def events_for_account(
    *,
    account: Account,
    since: datetime | None = None,
    until: datetime | None = None,
    event: str | None = None,
    target: str | None = None,
    newest_first: bool = False,
) -> QuerySet[Event]:
    """The account's events from ``since`` (included) to ``until`` (excluded), oldest first unless
    ``newest_first``; ``target``: whose target contains it (a claimed NameID too), as the page filters.
    Scoped to the account: tenants never see each other's events."""
    events = Event.objects.filter(account=account)
    if since is not None:
        events = events.filter(time__gte=since)
    if until is not None:
        events = events.filter(time__lt=until)
    if event:
        events = events.filter(event=event)
    if target:
        events = events.filter(target__icontains=target)
    return events.order_by("-time", "-id") if newest_first else events.order_by("time", "id")


def event_as_dict(event: Event) -> dict[str, Any]:
    data = {field: getattr(event, field) for field in EXPORT_FIELDS}
    data["time"] = event.time.isoformat().replace("+00:00", "Z")
    return data


def events_as_json(events: QuerySet[Event]) -> Iterator[str]:
    """``{"events": [...]}`` in pieces, reading the rows a chunk at a time (``iterator()``): an
    export of a million events holds one chunk in memory, never the whole log."""
    yield '{"events": ['
    piece: list[str] = []
    for n, event in enumerate(events.iterator(chunk_size=EXPORT_CHUNK_ROWS)):
        piece.append(("," if n else "") + json.dumps(event_as_dict(event), cls=DjangoJSONEncoder))
        if len(piece) == EXPORT_CHUNK_ROWS:
            yield "".join(piece)
            piece = []
    yield "".join(piece) + "]}"


def parse_moment(value: str, *, name: str = "since") -> datetime:
    """An ISO 8601 date-time with a zone (``Z`` allowed); ValueError naming ``name`` otherwise."""
    try:
        moment = parse_datetime(value.strip().replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(MSG_BAD_MOMENT.format(name=name))
    return moment


def parse_since(value: str) -> datetime:
    """``parse_moment`` for ``since``."""
    return parse_moment(value, name="since")


def username_is(value: str) -> Q:
    """Case-insensitive username match, compared the way the unique constraint compares
    (LOWER on both sides), so the (LOWER(username), account) index serves it. ``iexact``
    would be UPPER(...) on PostgreSQL and LIKE on SQLite: a scan of every user."""
    return Q(Exact(Lower("username"), Lower(Value(value))))


def email_is(value: str) -> Q:
    """Case-insensitive email match served by the (LOWER(email), account) index."""
    return Q(Exact(Lower("email"), Lower(Value(value))))
