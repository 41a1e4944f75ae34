"""The account's event log, as a page and as a JSON export."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accounts.permissions import account_admin_required
from accounts.selectors import event_as_dict, events_for_account, parse_since

PAGE_SIZE = 50


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
    filters, error = _filters(request)
    events = events_for_account(account=request.user.account, **filters).order_by("-time", "-id")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/events.html",
        {"page": page, "error": error, "query": request.GET},
        status=400 if error else 200,
    )


@account_admin_required("the event log", needs_sso_plan=False)
def events_export_view(request: HttpRequest) -> JsonResponse:
    filters, error = _filters(request)
    if error:
        return JsonResponse({"error": error}, status=400)
    events = [event_as_dict(e) for e in events_for_account(account=request.user.account, **filters)]
    return JsonResponse({"events": events})
