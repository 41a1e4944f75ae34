"""SAML endpoints: start sign-in for a group, the ACS, and the admin's per-group failure list.

Thin: parse the request, call one service, render. Validation lives in acs.py / services.py.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login, logout
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.event_types import AccountEvent
from accounts.events import user_event_record
from accounts.models import Event
from accounts.permissions import account_admin_required
from accounts.reauth import auth_refused_record, auth_time_record
from sparksso import clock
from sparksso.encoding import form_body_error, reads_own_form_encoding
from sparksso.middleware import client_ip
from sparksso.redirects import safe_next_path
from ssogroups.constants import BINDING_POST
from ssogroups.models import SSOGroup
from ssogroups.saml import reasons
from ssogroups.saml.acs import MAX_RESPONSE_BYTES
from ssogroups.saml.browser_secret import (
    browser_cookie_set,
    browser_secret_for,
    browser_secret_hash,
    browser_secrets_presented,
)
from ssogroups.saml.errors import SamlRejected
from ssogroups.saml.reauth import sso_reauth_refusal
from ssogroups.saml.request_store import PENDING_TTL, AuthnStart, pending_test_peek
from ssogroups.saml.selectors import login_failures_recent, ssogroup_for_sign_in
from ssogroups.saml.services import (
    sso_login_consume,
    sso_login_failure_record,
    sso_login_start,
    sso_login_success_record,
    sso_login_throttled_record,
    sso_test_failure_record,
    sso_test_report_record,
)
from ssogroups.saml.throttle import (
    AcsLimit,
    acs_address_limited,
    acs_failure_count,
    acs_retry_after,
    login_start_count,
    login_start_limited,
    login_start_retry_after,
)
from ssogroups.selectors import ssogroup_get

# The whole POST (SAMLResponse + RelayState + form overhead), checked before the body is read.
MAX_POST_BYTES = MAX_RESPONSE_BYTES * 2
BACKEND = "accounts.backends.AccountUserBackend"
MSG_FAILED = "We could not sign you in with single sign-on."
MSG_THROTTLED = "Too many failed sign-in attempts. Wait a few minutes and try again."
MSG_START_THROTTLED = "Too many sign-ins started from your network. Wait a few minutes and try again."
MSG_NOT_FOUND = "This single sign-on link is not active. Ask your account admin for the current sign-in link."


def not_found_page(request: HttpRequest) -> HttpResponse:
    return render(request, "saml/not_found.html", {"message": MSG_NOT_FOUND}, status=404)


def _throttled(request: HttpRequest, group: SSOGroup, limit: AcsLimit) -> HttpResponse:
    """429 with Retry-After; only the window's first refusal writes (one event, no diagnostics row)."""
    if limit.first:
        sso_login_throttled_record(group=group, limit=limit, request=request)
    response = render(request, "saml/failure.html", {"message": MSG_THROTTLED}, status=429)
    response["Retry-After"] = str(acs_retry_after())
    return response


def _acs_failure(request: HttpRequest, group: SSOGroup, rejected: SamlRejected) -> HttpResponse:
    """A refused post counts towards the ACS limits; past one, it is answered 429 and not recorded."""
    limit = acs_failure_count(group=group, ip=client_ip(request))
    if limit is not None:
        return _throttled(request, group, limit)
    return _failure(request, group, rejected)


def _failure(request: HttpRequest, group: SSOGroup, rejected: SamlRejected) -> HttpResponse:
    failure = sso_login_failure_record(group=group, rejected=rejected, request=request)
    return render(
        request,
        "saml/failure.html",
        {"message": MSG_FAILED, "reference": failure.reference},
        status=rejected.reason.status,
    )


def sign_in_test_report_redirect(group: SSOGroup, key: str) -> HttpResponse:
    # To the admin's page (a top-level GET carries the admin's session cookie; this POST did not).
    return HttpResponseRedirect(reverse("saml_test_report", kwargs={"slug": group.slug, "key": key}))


@never_cache
@require_GET
def login_view(request: HttpRequest, account_id: int, slug: str) -> HttpResponse:
    """SP-initiated sign-in: send the browser to the IdP with a fresh AuthnRequest (or its own
    pending one again: a reload writes no new row); new starts are limited per address and group."""
    group = ssogroup_get(account_id=account_id, slug=slug, usable=True)
    if group is None:
        return not_found_page(request)
    ip = client_ip(request)
    limit = login_start_limited(group=group, ip=ip)
    if limit is not None:  # each new start writes a pending row: bounded per address and group
        if limit.first:
            sso_login_throttled_record(group=group, limit=limit, request=request)
        response = render(request, "saml/failure.html", {"message": MSG_START_THROTTLED}, status=429)
        response["Retry-After"] = str(login_start_retry_after())
        return response
    secret = browser_secret_for(request)  # fresh, unless this browser's own pending request is reused
    presented = {browser_secret_hash(s): s for s in browser_secrets_presented(request)}
    try:
        start = sso_login_start(
            group=group,
            next_path=safe_next_path(request.GET.get("next")),
            browser_hash=browser_secret_hash(secret),
            reuse_hashes=list(presented),
            force_authn=request.GET.get("reauth") == "1",  # the reauth page's fresh round trip
        )
    except SamlRejected as rejected:
        return _failure(request, group, rejected)
    if start.reused:
        secret = presented[start.browser_hash]
    else:
        login_start_count(group=group, ip=ip)
    return to_idp(request, group, start, secret=secret)


def to_idp(request: HttpRequest, group: SSOGroup, start: AuthnStart, *, secret: str) -> HttpResponse:
    """Send the browser to the IdP (redirect or auto-posting form), bound to it by its secret cookie."""
    if start.binding == BINDING_POST:
        response = render(request, "saml/post_binding.html", {"start": start, "group": group})
    else:
        response = HttpResponseRedirect(start.url)
    max_age = int(PENDING_TTL.total_seconds())
    browser_cookie_set(response, request=request, secret=secret, base_url=settings.BASE_URL, max_age=max_age)
    return response


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@never_cache
@csrf_exempt  # the IdP's cross-site POST carries no CSRF token; the signed response is the proof
@reads_own_form_encoding  # an unreadable body is a sign-in failure with its own reason (and counts)
@require_POST
@transaction.atomic  # one commit per sign-in instead of nine (docs/performance.md: 1.35x); a refusal
# returns normally, so its diagnostics row and event commit too, and a replay still meets the unique
# constraint of the first worker's ConsumedAssertion row when that worker commits.
def consume_view(request: HttpRequest, account_id: int, slug: str) -> HttpResponse:
    """Assertion Consumer Service (HTTP-POST binding)."""
    group = ssogroup_for_sign_in(account_id=account_id, slug=slug)
    if group is None:
        return not_found_page(request)
    limit = acs_address_limited(group=group, ip=client_ip(request))
    if limit is not None:  # refused unread: this address has used up its failures for now
        return _throttled(request, group, limit)
    if _content_length(request) > MAX_POST_BYTES:
        return _acs_failure(request, group, SamlRejected(reasons.OVERSIZE, f"{_content_length(request)} bytes"))
    encoding_error = form_body_error(request)
    if encoding_error is not None:
        return _acs_failure(request, group, SamlRejected(reasons.FORM_ENCODING, encoding_error))
    try:
        saml_response = request.POST.get("SAMLResponse", "")
        relay_state = request.POST.get("RelayState", "")
    except (RequestDataTooBig, TooManyFieldsSent) as exc:
        return _acs_failure(request, group, SamlRejected(reasons.OVERSIZE, type(exc).__name__))
    except MultiPartParserError as exc:
        return _acs_failure(request, group, SamlRejected(reasons.MISSING_RESPONSE, f"unreadable form body: {exc}"))
    # An admin's test sign-in (its RelayState names a pending test request) is reported, never signed in.
    test = pending_test_peek(group=group, relay_state=relay_state, now=clock.now()) is not None
    try:
        result = sso_login_consume(
            group=group, saml_response=saml_response, relay_state=relay_state, request=request, test=test
        )
    except SamlRejected as rejected:
        if test:  # counted like any failure: a test's RelayState is no way around the ACS limits
            limit = acs_failure_count(group=group, ip=client_ip(request))
            if limit is not None:
                return _throttled(request, group, limit)
            return sign_in_test_report_redirect(
                group, sso_test_failure_record(group=group, rejected=rejected, request=request)
            )
        return _acs_failure(request, group, rejected)
    if result.test_report is not None:
        return sign_in_test_report_redirect(
            group, sso_test_report_record(group=group, report=result.test_report, request=request)
        )

    user = result.user
    if request.user.is_authenticated and request.user.pk != user.pk:
        logout(request)
    # Set before login() so the session tracker (accounts.signals) records the method.
    request.session["auth_method"] = "sso"
    request.session["sso_group"] = group.slug
    login(request, user, backend=BACKEND)  # rotates the session key
    if result.session_not_on_or_after is not None:
        remaining = (result.session_not_on_or_after - clock.now()).total_seconds()
        if remaining < request.session.get_expiry_age():
            request.session.set_expiry(result.session_not_on_or_after)
    sso_login_success_record(group=group, user=user, request=request)
    if result.force_authn and not _reauth_record(request, user, result.authn_instant):
        # Signed in, but not recently: back to "confirm it is you", which says why.
        return HttpResponseRedirect(f"/account/reauth?{urlencode({'next': result.next_path})}")
    return HttpResponseRedirect(result.next_path)


def _reauth_record(request: HttpRequest, user, authn_instant) -> bool:
    """Only a ForceAuthn answer whose AuthnInstant is recent proves a recent authentication."""
    refused = sso_reauth_refusal(authn_instant=authn_instant, now=clock.now())
    if refused is None:
        auth_time_record(request)
        user_event_record(user=user, event=AccountEvent.REAUTH_SUCCESS, request=request, changes={"method": "sso"})
        return True
    auth_refused_record(request, refused.message)
    instant = authn_instant.strftime("%Y-%m-%dT%H:%M:%SZ") if authn_instant else ""
    user_event_record(
        user=user,
        event=AccountEvent.REAUTH_FAILURE,
        outcome=Event.Outcome.FAILURE,
        reason=refused.reason,
        request=request,
        changes={"method": "sso", "authn_instant": instant},
    )
    return False


@account_admin_required("single sign-on")
@require_GET
def failures_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Recent sign-in failures of one group with the precise reason, for the account admin."""
    group = ssogroup_get(account_id=request.user.account_id, slug=slug)
    if group is None:
        return not_found_page(request)
    rows = [
        {"failure": f, "reason": reasons.REASONS.get(f.reason, reasons.INVALID_RESPONSE)}
        for f in login_failures_recent(group=group)
    ]
    return render(request, "saml/failures.html", {"group": group, "rows": rows})
