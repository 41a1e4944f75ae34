"""The group page's "Test sign-in": start a real SP-initiated round trip, then show its report."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import account_admin_required
from ssogroups.saml.browser_secret import browser_secret_for, browser_secret_hash
from ssogroups.saml.errors import SamlRejected
from ssogroups.saml.services import sso_login_start, sso_test_failure_record
from ssogroups.saml.sign_in_test import sign_in_test_report_load
from ssogroups.saml.views import not_found_page, sign_in_test_report_redirect, to_idp
from ssogroups.selectors import ssogroup_get
from ssogroups.sign_in_trace import sign_in_trace_of_test

FEATURE = "single sign-on"
MSG_ENABLE_FIRST = "Enable the group first: a test sign-in goes through the group's live ACS."
MSG_REPORT_GONE = "That test report has expired (reports are kept for ten minutes). Run the test again."


@never_cache
@require_POST
@account_admin_required(FEATURE)
def sign_in_test_start_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Send the admin's browser to the IdP with an AuthnRequest marked as a test."""
    group = ssogroup_get(account_id=request.user.account_id, slug=slug)
    if group is None:
        return not_found_page(request)
    if not group.enabled:
        messages.error(request, MSG_ENABLE_FIRST)
        return redirect("ssogroup-detail", slug=group.slug)
    secret = browser_secret_for(request)  # the answer must come back to this browser, like a sign-in
    try:
        start = sso_login_start(group=group, next_path="", browser_hash=browser_secret_hash(secret), is_test=True)
    except SamlRejected as rejected:
        return sign_in_test_report_redirect(
            group, sso_test_failure_record(group=group, rejected=rejected, request=request)
        )
    return to_idp(request, group, start, secret=secret)


@never_cache
@require_GET
@account_admin_required(FEATURE)
def sign_in_test_report_view(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    group = ssogroup_get(account_id=request.user.account_id, slug=slug)
    if group is None:
        return not_found_page(request)
    report = sign_in_test_report_load(key=key, account_id=group.account_id, slug=group.slug)
    if report is None:
        messages.error(request, MSG_REPORT_GONE)
        return redirect("ssogroup-detail", slug=group.slug)
    trace = sign_in_trace_of_test(group=group, report_key=key)
    return render(request, "saml/test_report.html", {"group": group, "report": report, "trace": trace})
