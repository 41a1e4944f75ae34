"""The admin's page of one sign-in trace (opened from the diagnostics row or the test sign-in report)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.permissions import account_admin_required
from ssogroups.saml import reasons
from ssogroups.saml.views import not_found_page
from ssogroups.selectors import ssogroup_get
from ssogroups.sign_in_trace import sign_in_trace_get

FEATURE = "single sign-on"


@never_cache
@require_GET
@account_admin_required(FEATURE)
def sign_in_trace_view(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """Another account's group, or a key of another group, is a 404 like an unknown one."""
    group = ssogroup_get(account_id=request.user.account_id, slug=slug)
    trace = sign_in_trace_get(group=group, key=key) if group is not None else None
    if trace is None:
        return not_found_page(request)
    reason = reasons.REASONS.get(trace.reason) if trace.reason else None
    return render(request, "saml/trace.html", {"group": group, "trace": trace, "reason": reason})
