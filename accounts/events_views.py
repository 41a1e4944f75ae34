"""The account's event log, as a page and as a JSON export."""

from urllib.parse import quote, urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from accounts.event_log import MSG_BAD_CURSOR, cursor_decode, event_filters_parse, event_names, events_page
from accounts.models import Event
from accounts.permissions import account_admin_required
from accounts.selectors import event_as_dict, events_for_account, parse_since


def _filters(request: HttpRequest) -> tuple[dict, str | None]:
    """Parse ?since=&event=; returns (filters, error message or None)."""
    since_raw = request.GET.get("since", "").strip()
    since = None
    if since_raw:
        try:
            since = parse_since(since_raw)
        except ValueError as exc:
            return {}, str(exc)
    return {"since": since, "event": request.GET.get("event", "").strip() or None}, None


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
        "rows": [(e, _diagnostics_url(e)) for e in page.events],
        "filters": filters,
        "errors": errors,
        "event_names": event_names(account=request.user.account),
        "outcomes": [("", "Any"), *Event.Outcome.choices],
        "filtered": bool(query),
        "older_url": "?" + urlencode({**query, "before": page.older}) if page.older else "",
        "newer_url": "?" + urlencode({**query, "after": page.newer}) if page.newer else "",
        "export_url": "?" + urlencode({k: v for k, v in query.items() if k == "event"}),
    }
    return render(request, "accounts/events.html", context, status=400 if filters.errors else 200)


def _diagnostics_url(event: Event) -> str:
    """A failed SSO sign-in links to its row in the group's diagnostics (by its reference)."""
    changes = event.changes if isinstance(event.changes, dict) else {}
    group, reference = changes.get("group"), changes.get("reference")
    if event.event != "sso_login_failure" or not isinstance(group, str) or not isinstance(reference, str):
        return ""
    try:
        return reverse("saml_failures", kwargs={"group_slug": group}) + f"#ref-{quote(reference)}"
    except NoReverseMatch:  # a group slug from an old event that no longer fits the URL
        return ""


@account_admin_required("the event log", needs_sso_plan=False)
def events_export_view(request: HttpRequest) -> JsonResponse:
    filters, error = _filters(request)
    if error:
        return JsonResponse({"error": error}, status=400)
    events = [event_as_dict(e) for e in events_for_account(account=request.user.account, **filters)]
    return JsonResponse({"events": events})
