"""The SLO endpoint (both bindings) and the sign-out hook accounts calls (accounts.idp_hooks).

Thin: read the message, call one service, answer. Checks live in logout.py, writes in logout_services.py.
"""

from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.idp_hooks import IdpSignOut
from sparksso.middleware import client_ip
from ssogroups.constants import BINDING_POST, BINDING_REDIRECT
from ssogroups.models import SSOGroup
from ssogroups.saml import reasons
from ssogroups.saml.errors import SamlRejected
from ssogroups.saml.logout import REQUEST, Outgoing
from ssogroups.saml.logout_checks import Received, logout_message_read
from ssogroups.saml.logout_services import (
    sso_logout_failure_record,
    sso_logout_request_consume,
    sso_logout_response_consume,
    sso_logout_start,
    sso_session_claims,
)
from ssogroups.saml.throttle import acs_address_limited, acs_failure_count
from ssogroups.saml.views import MAX_POST_BYTES, not_found_page
from ssogroups.selectors import ssogroup_get

MSG_REQUEST_REFUSED = "This sign-out request from your identity provider was refused; nothing was signed out."
MSG_RESPONSE_REFUSED = (
    "You are signed out here, but your identity provider's answer could not be checked. "
    "Close the browser to be sure you are signed out there too."
)
MSG_THROTTLED = "Too many refused single sign-on messages. Wait a few minutes and try again."
MSG_SIGNED_OUT = "You have been signed out."


def outgoing_response(request: HttpRequest, group: SSOGroup, outgoing: Outgoing) -> HttpResponse:
    """Send the browser on with our signed message: a redirect, or a form that posts itself."""
    if outgoing.binding == BINDING_POST:
        return render(request, "saml/logout_post.html", {"outgoing": outgoing, "group": group})
    return HttpResponseRedirect(outgoing.url)


def sso_sign_out_route(request: HttpRequest) -> IdpSignOut | None:
    """accounts' sign-out hook: for a session an SSO sign-in opened, through a group whose IdP has an
    SLO endpoint, what sends the IdP our LogoutRequest once the session has ended here."""
    if request.session.get("auth_method") != "sso" or not request.session.session_key:
        return None
    found = sso_session_claims(session_key=request.session.session_key)
    if found is None:
        return None
    group, claims = found
    username = request.user.username

    def sign_out(ended: HttpRequest) -> HttpResponse | None:
        outgoing = sso_logout_start(group=group, claims=claims, username=username, request=ended)
        return outgoing_response(ended, group, outgoing) if outgoing is not None else None

    return sign_out


def _refused(request: HttpRequest, group: SSOGroup, rejected: SamlRejected, *, message: str) -> HttpResponse:
    limit = acs_failure_count(group=group, ip=client_ip(request))
    if limit is not None:  # counted with the ACS's refusals: one budget per address and group
        return _throttled(request)
    failure = sso_logout_failure_record(group=group, rejected=rejected, request=request)
    context = {"message": message, "reference": failure.reference}
    return render(request, "saml/logout_failure.html", context, status=rejected.reason.status)


def _throttled(request: HttpRequest) -> HttpResponse:
    response = render(request, "saml/logout_failure.html", {"message": MSG_THROTTLED}, status=429)
    response["Retry-After"] = "300"
    return response


def _read(request: HttpRequest, binding: str) -> Received:
    if binding == BINDING_REDIRECT:
        return logout_message_read(binding=binding, query_string=request.META.get("QUERY_STRING", ""))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_POST_BYTES:
        raise SamlRejected(reasons.LOGOUT_OVERSIZE, f"{length} bytes")
    try:
        return logout_message_read(binding=binding, form=request.POST)
    except (RequestDataTooBig, TooManyFieldsSent) as exc:
        raise SamlRejected(reasons.LOGOUT_OVERSIZE, type(exc).__name__) from exc
    except MultiPartParserError as exc:
        raise SamlRejected(reasons.LOGOUT_MALFORMED, f"unreadable form body: {exc}") from exc


@never_cache
@csrf_exempt  # the IdP's cross-site POST carries no CSRF token; the signed message is the proof
@require_http_methods(["GET", "POST"])
@transaction.atomic  # a refusal's row and event, or the replay record, the ended sessions and the event
def slo_view(request: HttpRequest, account_id: int, slug: str) -> HttpResponse:
    """SingleLogoutService: the IdP's LogoutRequest (IdP-initiated) or its LogoutResponse to ours,
    by HTTP-Redirect (GET) or HTTP-POST."""
    group = ssogroup_get(account_id=account_id, slug=slug, usable=True)
    if group is None:
        return not_found_page(request)
    if acs_address_limited(group=group, ip=client_ip(request)) is not None:
        return _throttled(request)
    binding = BINDING_POST if request.method == "POST" else BINDING_REDIRECT
    message = MSG_REQUEST_REFUSED
    try:
        received = _read(request, binding)
        if received.field == REQUEST:
            result = sso_logout_request_consume(group=group, received=received, request=request)
            if result.answer is not None:
                return outgoing_response(request, group, result.answer)
            messages.info(request, MSG_SIGNED_OUT)
            return redirect("login")
        message = MSG_RESPONSE_REFUSED
        sso_logout_response_consume(group=group, received=received, request=request)
    except SamlRejected as rejected:
        return _refused(request, group, rejected, message=message)
    return redirect("login")
