"""The group's "SCIM requests" tab: the request log filtered, and one request with both bodies."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.permissions import account_admin_required
from scim.request_log_selectors import (
    METHODS,
    STATUS_CLASSES,
    body_shown,
    events_by_request,
    events_caused,
    request_filters_parse,
    scim_request_get,
    scim_request_of_account,
    scim_requests_page,
)
from ssogroups.models import SSOGroup
from ssogroups.selectors import ssogroup_get

FEATURE = "the SCIM request log"


def _group_or_404(request: HttpRequest, slug: str) -> SSOGroup:
    """The admin's own group: another account's is a 404, exactly like an unknown one."""
    group = ssogroup_get(account_id=request.user.account_id, slug=slug)
    if group is None:
        raise Http404("No such SSO group.")
    return group


@never_cache
@require_GET
@account_admin_required(FEATURE)
def scim_requests_view(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_or_404(request, slug)
    filters = request_filters_parse(request.GET)
    before = request.GET.get("before", "")
    page = scim_requests_page(group=group, filters=filters, before=int(before) if before.isdigit() else None)
    query = filters.as_query()
    events = events_by_request(group=group, rows=page.rows)
    context = {
        "group": group,
        "rows": [(row, events.get(row.request_id, [])) for row in page.rows],
        "filters": filters,
        "methods": METHODS,
        "status_classes": STATUS_CLASSES,
        "filtered": bool(query),
        "older_url": "?" + urlencode({**query, "before": page.older}) if page.older else "",
        "retention_days": settings.SCIM_LOG_RETENTION_DAYS,
    }
    return render(request, "scim/requests.html", context, status=400 if filters.errors else 200)


@never_cache
@require_GET
@account_admin_required(FEATURE)
def scim_request_view(request: HttpRequest, slug: str, request_id: str) -> HttpResponse:
    group = _group_or_404(request, slug)
    row = scim_request_get(group=group, request_id=request_id)
    if row is None:
        raise Http404("No such SCIM request (rows are kept for SCIM_LOG_RETENTION_DAYS).")
    context = {
        "group": group,
        "row": row,
        "events": events_caused(row=row),
        "request_body": body_shown(row.request_body),
        "response_body": body_shown(row.response_body),
    }
    return render(request, "scim/request.html", context)


@require_GET
@account_admin_required(FEATURE)
def scim_request_by_id_view(request: HttpRequest, request_id: str) -> HttpResponse:
    """The event log's link (an event knows its request id, not its SSO group): to the group's tab."""
    row = scim_request_of_account(account=request.user.account, request_id=request_id)
    if row is None:
        raise Http404("No such SCIM request (rows are kept for SCIM_LOG_RETENTION_DAYS).")
    return redirect("scim_request", slug=row.sso_group.slug, request_id=row.request_id)
