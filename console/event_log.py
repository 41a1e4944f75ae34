"""The event log page's reads: filters (event, outcome, actor, target, date range) and keyset pages.

Keyset, not OFFSET: a page is "the 50 events before (time, id) X", so paging deep into a large log
costs the same as the first page and rows arriving meanwhile never shift a page.
"""

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.http import QueryDict

from accounts.models import Account, Event

PAGE_SIZE = 50
MSG_BAD_DATE = "Dates are YYYY-MM-DD (pick them with the date picker)."
MSG_BAD_RANGE = "The “From” date is after the “To” date."
MSG_BAD_CURSOR = "That page link is not valid any more; showing the newest events."
OUTCOMES = ("", Event.Outcome.SUCCESS, Event.Outcome.FAILURE)
# The text filters: each is a query parameter named after the Event column it matches, and how it matches.
TEXT_LOOKUPS = {"event": "event", "outcome": "outcome", "actor": "actor__icontains", "target": "target__icontains"}


@dataclass(frozen=True)
class EventFilters:
    text: dict[str, str] = field(default_factory=dict)  # by name; "" when not given
    date_from: date | None = None
    date_to: date | None = None
    errors: list[str] = field(default_factory=list)

    def as_query(self) -> dict[str, str]:
        """The filters as query parameters, for page links."""
        dates = {"from": self.date_from, "to": self.date_to}
        values = self.text | {name: day.isoformat() for name, day in dates.items() if day}
        return {name: value for name, value in values.items() if value}


def _date(value: str, errors: list[str]) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        if MSG_BAD_DATE not in errors:
            errors.append(MSG_BAD_DATE)
        return None


def event_filters_parse(query: QueryDict) -> EventFilters:
    """Read the filter form; bad values are named in ``errors`` and ignored."""
    errors: list[str] = []
    # No longer than the column: a longer value could not match anyway.
    text = {name: query.get(name, "").strip()[: Event._meta.get_field(name).max_length] for name in TEXT_LOOKUPS}
    if text["outcome"] not in OUTCOMES:
        text["outcome"] = ""
    date_from, date_to = _date(query.get("from", ""), errors), _date(query.get("to", ""), errors)
    if date_from and date_to and date_from > date_to:
        errors.append(MSG_BAD_RANGE)
    return EventFilters(text=text, date_from=date_from, date_to=date_to, errors=errors)


def _filtered(account: Account, f: EventFilters) -> QuerySet[Event]:
    # Scoped to the account: tenants never see each other's events.
    given = {TEXT_LOOKUPS[name]: value for name, value in f.text.items() if value}
    events = Event.objects.filter(account=account, **given)
    if f.date_from:
        events = events.filter(time__gte=datetime.combine(f.date_from, time.min, tzinfo=UTC))
    if f.date_to:
        events = events.filter(time__lt=datetime.combine(f.date_to + timedelta(days=1), time.min, tzinfo=UTC))
    return events


def cursor_encode(event: Event) -> str:
    raw = f"{event.time.isoformat()}|{event.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(value: str) -> tuple[datetime, int] | None:
    """(time, id) from a page link; None for anything malformed."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        when, pk = raw.split("|")
        moment = datetime.fromisoformat(when)
        return (moment, int(pk)) if moment.tzinfo else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


@dataclass(frozen=True)
class EventPage:
    events: list[Event]
    older: str | None  # cursor for the next (older) page
    newer: str | None  # cursor for the previous (newer) page


def events_page(*, account: Account, filters: EventFilters, before: str = "", after: str = "") -> EventPage:
    """Newest first; ``before``/``after`` are cursors from a previous page's links."""
    events = _filtered(account, filters)
    if after and (key := cursor_decode(after)):
        moment, pk = key
        rows = list(
            events.filter(Q(time__gt=moment) | Q(time=moment, id__gt=pk)).order_by("time", "id")[: PAGE_SIZE + 1]
        )
        more_newer = len(rows) > PAGE_SIZE
        rows = list(reversed(rows[:PAGE_SIZE]))
        return EventPage(
            events=rows,
            older=cursor_encode(rows[-1]) if rows else None,
            newer=cursor_encode(rows[0]) if rows and more_newer else None,
        )
    came_from_newer = False
    if before and (key := cursor_decode(before)):
        moment, pk = key
        events = events.filter(Q(time__lt=moment) | Q(time=moment, id__lt=pk))
        came_from_newer = True
    rows = list(events.order_by("-time", "-id")[: PAGE_SIZE + 1])
    more_older = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return EventPage(
        events=rows,
        older=cursor_encode(rows[-1]) if rows and more_older else None,
        newer=cursor_encode(rows[0]) if rows and came_from_newer else None,
    )


def event_names(*, account: Account) -> list[str]:
    """The event names this account has, for the filter's list."""
    return sorted(set(Event.objects.filter(account=account).values_list("event", flat=True).distinct()))
