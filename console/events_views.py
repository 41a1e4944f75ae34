"""The account's event log, as a page and as a JSON download."""

from datetime import UTC, datetime, time, timedelta
from urllib.parse import quote, urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from accounts.models import Event
from accounts.permissions import account_admin_required
from accounts.selectors import events_as_json, events_for_account, parse_moment
from console.event_log import MSG_BAD_CURSOR, EventFilters, cursor_decode, event_filters_parse, event_names, events_page
from ssogroups.event_types import SSOGroupEvent

EXPORT_FILENAME = "events.json"


@account_admin_required("the event log", needs_sso_plan=False)
def events_view(request: HttpRequest) -> HttpResponse:
    filters = event_filters_parse(request.GET)
    before, after = request.GET.get("before", ""), request.GET.get("after", "")
    errors = list(filters.errors)
    if (before and cursor_decode(before) is None) or (after and cursor_decode(after) is None):
        errors.append(MSG_BAD_CURSOR)
    page = events_page(account=request.user.account, filters=filters, before=before, after=after)
    query = filters.as_query()
    context = {
        "page": page,
        "rows": [(e, _diagnostics_url(e) or _scim_request_url(e)) for e in page.events],
        "filters": filters,
        "errors": errors,
        "event_names": event_names(account=request.user.account),
        "outcomes": [("", "Any"), *Event.Outcome.choices],
        "filtered": bool(query),
        "older_url": "?" + urlencode({**query, "before": page.older}) if page.older else "",
        "newer_url": "?" + urlencode({**query, "after": page.newer}) if page.newer else "",
        "export_url": _export_query(filters),
    }
    return render(request, "console/events.html", context, status=400 if filters.errors else 200)


def _export_query(filters: EventFilters) -> str:
    """The page's event name, target and UTC days as the export's ``event``, ``target``, ``since`` and ``until``."""
    query = {"event": filters.text.get("event", ""), "target": filters.text.get("target", "")}
    if filters.date_from:
        query["since"] = datetime.combine(filters.date_from, time.min, tzinfo=UTC).isoformat()
    if filters.date_to:
        query["until"] = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=UTC).isoformat()
    given = {name: value.replace("+00:00", "Z") for name, value in query.items() if value}
    return "?" + urlencode(given) if given else ""


def _diagnostics_url(event: Event) -> str:
    """A failed SSO sign-in links to its row in the group's diagnostics (by its reference)."""
    changes = event.changes if isinstance(event.changes, dict) else {}
    group, reference = changes.get("group"), changes.get("reference")
    if event.event != SSOGroupEvent.SSO_LOGIN_FAILURE or not isinstance(group, str) or not isinstance(reference, str):
        return ""
    try:
        return reverse("saml_failures", kwargs={"slug": group}) + f"#ref-{quote(reference)}"
    except NoReverseMatch:  # a group slug from an old event that no longer fits the URL
        return ""


def _scim_request_url(event: Event) -> str:
    """A failed SCIM operation (``user_*_provision``, ``group_*_provision``) links to its request in the
    SCIM request log, found by the request id the event and the log row share."""
    if event.outcome != Event.Outcome.FAILURE or not event.event.endswith("_provision") or not event.request_id:
        return ""
    return reverse("scim_request_by_id", kwargs={"request_id": event.request_id})


@account_admin_required("the event log", needs_sso_plan=False)
def events_export_view(request: HttpRequest) -> HttpResponse:
    """``{"events": [...]}``, newest first like the page, streamed as a file download.

    ``since`` (included) and ``until`` (excluded) are ISO 8601 date-times with a zone; ``event``
    is an event name; ``target`` a part of the target (a person's address finds her claimed failures too)."""
    moments = {}
    for name in ("since", "until"):
        if raw := request.GET.get(name, "").strip():
            try:
                moments[name] = parse_moment(raw, name=name)
            except ValueError as exc:
                return JsonResponse({"error": str(exc)}, status=400)
    event = request.GET.get("event", "").strip() or None
    target = request.GET.get("target", "").strip()[: Event._meta.get_field("target").max_length] or None
    events = events_for_account(account=request.user.account, event=event, target=target, newest_first=True, **moments)
    response = StreamingHttpResponse(events_as_json(events), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{EXPORT_FILENAME}"'
    return response
