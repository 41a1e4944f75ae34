"""Reads of the SCIM request log for the group's "SCIM requests" tab: filters and keyset pages."""

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.http import QueryDict

from accounts.models import Account, Event
from scim.models import ScimRequestLog
from ssogroups.models import SSOGroup

PAGE_SIZE = 50
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
MSG_BAD_DATE = "Dates are YYYY-MM-DD (pick them with the date picker)."


@dataclass(frozen=True)
class RequestFilters:
    method: str = ""
    status: str = ""  # a status class, "4xx"
    path: str = ""
    user_name: str = ""
    date_from: date | None = None
    date_to: date | None = None
    errors: list[str] = field(default_factory=list)

    def as_query(self) -> dict[str, str]:
        values = {"method": self.method, "status": self.status, "path": self.path, "userName": self.user_name}
        values |= {"from": self.date_from.isoformat() if self.date_from else ""}
        values |= {"to": self.date_to.isoformat() if self.date_to else ""}
        return {name: value for name, value in values.items() if value}


def _date(value: str, errors: list[str]) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        if MSG_BAD_DATE not in errors:
            errors.append(MSG_BAD_DATE)
        return None


def request_filters_parse(query: QueryDict) -> RequestFilters:
    """The filter form's values; unknown methods and classes are ignored, bad dates named in ``errors``."""
    errors: list[str] = []
    method = query.get("method", "").upper()
    status = query.get("status", "").lower()
    return RequestFilters(
        method=method if method in METHODS else "",
        status=status if status in STATUS_CLASSES else "",
        path=query.get("path", "").strip()[:200],
        user_name=query.get("userName", "").strip()[:255],
        date_from=_date(query.get("from", ""), errors),
        date_to=_date(query.get("to", ""), errors),
        errors=errors,
    )


def _filtered(group: SSOGroup, f: RequestFilters) -> QuerySet[ScimRequestLog]:
    # Crucial: one group's rows only (the view found the group in the admin's own account).
    rows = ScimRequestLog.objects.filter(sso_group=group)
    if f.method:
        rows = rows.filter(method=f.method)
    if f.status:
        low = int(f.status[0]) * 100
        rows = rows.filter(status__gte=low, status__lt=low + 100)
    if f.path:
        rows = rows.filter(path__icontains=f.path)
    if f.user_name:
        rows = rows.filter(user_name__icontains=f.user_name)
    if f.date_from:
        rows = rows.filter(time__gte=datetime.combine(f.date_from, time.min, tzinfo=UTC))
    if f.date_to:
        rows = rows.filter(time__lt=datetime.combine(f.date_to + timedelta(days=1), time.min, tzinfo=UTC))
    return rows


@dataclass(frozen=True)
class RequestPage:
    rows: list[ScimRequestLog]
    older: int | None  # the id to pass as ``before`` for the next (older) page


def scim_requests_page(*, group: SSOGroup, filters: RequestFilters, before: int | None = None) -> RequestPage:
    """Newest first, ``PAGE_SIZE`` at a time; ``before`` is the last row id of the page before."""
    rows = _filtered(group, filters).defer("request_body", "response_body")
    if before is not None:
        anchor = ScimRequestLog.objects.filter(sso_group=group, pk=before).values_list("time", flat=True).first()
        if anchor is not None:
            rows = rows.filter(Q(time__lt=anchor) | Q(time=anchor, id__lt=before))
    found = list(rows.order_by("-time", "-id")[: PAGE_SIZE + 1])
    older = found[PAGE_SIZE - 1].pk if len(found) > PAGE_SIZE else None
    return RequestPage(rows=found[:PAGE_SIZE], older=older)


def scim_request_get(*, group: SSOGroup, request_id: str) -> ScimRequestLog | None:
    return ScimRequestLog.objects.filter(sso_group=group, request_id=request_id[:64]).first()


def scim_request_of_account(*, account: Account, request_id: str) -> ScimRequestLog | None:
    """For the event log's link: the account's own row with this request id (another account's is None)."""
    return (
        ScimRequestLog.objects.filter(account=account, request_id=request_id[:64], sso_group__isnull=False)
        .only("sso_group__slug")
        .select_related("sso_group")
        .first()
    )


# An event is written while its request runs, so before the row's time (taken at the end) by less
# than the request's duration: bounding the time lets the (account, time) index find them.
EVENT_SLACK = timedelta(minutes=5)


def _events(account_id: int | None, request_ids: list[str], rows: list[ScimRequestLog]) -> QuerySet[Event]:
    earliest = min(row.time for row in rows) - EVENT_SLACK
    latest = max(row.time for row in rows) + timedelta(seconds=1)
    return Event.objects.filter(
        account_id=account_id, time__gte=earliest, time__lte=latest, request_id__in=request_ids
    ).order_by("time", "id")


def events_caused(*, row: ScimRequestLog) -> list[Event]:
    """The events the request recorded (events keep the request id too)."""
    return list(_events(row.account_id, [row.request_id], [row]))


def events_by_request(*, group: SSOGroup, rows: list[ScimRequestLog]) -> dict[str, list[Event]]:
    """The events of a page's rows, by request id: one query for the page."""
    found: dict[str, list[Event]] = {}
    if rows:
        for event in _events(group.account_id, [row.request_id for row in rows], rows):
            found.setdefault(event.request_id, []).append(event)
    return found


def body_shown(text: str) -> str:
    """A stored body indented for reading; a cut (or non-JSON) body as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False) if text else ""
    except ValueError:
        return text
