"""A recent sign-in before sensitive admin actions, and the page that provides one.

Why: an admin page left open on an unattended machine must not be enough to mint a SCIM token,
delete a group, approve a certificate or deactivate users. A password admin re-enters the
password; an SSO admin makes a fresh round trip with ForceAuthn (a sign-in the IdP may answer
from its own session does not count: see ``auth_time_record``).
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.event_types import AccountEvent
from accounts.events import user_event_record
from accounts.idp_hooks import reauth_route
from accounts.login_throttle import (
    login_refusal_is_first,
    reauth_failure_record,
    reauth_failures_clear,
    reauth_refusal,
)
from accounts.models import Event
from sparksso import clock
from sparksso.redirects import safe_next_path

AUTH_TIME_KEY = "auth_time"  # epoch seconds of the session's last proven authentication
REFUSED_KEY = "reauth_refused"  # why the last confirmation did not count, shown once on this page
MSG_REAUTH = "For your security, confirm it is you before this change. Then make the change again."
MSG_BAD_PASSWORD = "That password is not right."
MSG_THROTTLED = "Too many failed attempts. Wait a few minutes and try again."
MSG_SSO_UNAVAILABLE = "Your SSO group is disabled, so you cannot confirm it is you. Ask another admin."


def auth_time_record(request: HttpRequest) -> None:
    """The user just proved who they are: a password, or an SSO response to our ForceAuthn request."""
    request.session[AUTH_TIME_KEY] = int(clock.now().timestamp())


def auth_refused_record(request: HttpRequest, message: str) -> None:
    """A confirmation came back but does not prove a recent sign-in: the confirm page says why."""
    request.session[REFUSED_KEY] = message


def auth_is_recent(request: HttpRequest) -> bool:
    """True when the session's last authentication is within REAUTH_MAX_AGE_SECONDS."""
    at = request.session.get(AUTH_TIME_KEY)
    if not isinstance(at, int):
        return False
    age = int(clock.now().timestamp()) - at
    return 0 <= age <= settings.REAUTH_MAX_AGE_SECONDS


def _return_path(request: HttpRequest) -> str:
    """Where to come back after confirming: this page for a GET, the page that posted for a POST."""
    if request.method == "GET":
        return safe_next_path(request.get_full_path())
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc and referer.netloc != urlsplit(settings.BASE_URL).netloc:
        return "/"
    return safe_next_path(referer.path + (f"?{referer.query}" if referer.query else ""))


def recent_auth_required(view: Callable) -> Callable:
    """Run ``view`` only after a sign-in in the last REAUTH_MAX_AGE_SECONDS; else go and confirm.

    Put it inside ``account_admin_required`` so a non-admin still gets the 403 page. Nothing of
    the refused request is kept: after confirming, the admin makes the change again.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated and auth_is_recent(request):
            return view(request, *args, **kwargs)
        return reauth_redirect(request)

    return wrapped


def reauth_redirect(request: HttpRequest) -> HttpResponse:
    """Send the admin to confirm it is you, then back to the page they were on."""
    messages.warning(request, MSG_REAUTH)
    return redirect(f"/account/reauth?{urlencode({'next': _return_path(request)})}")


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)
    next = forms.CharField(widget=forms.HiddenInput, required=False)


@login_required
@require_http_methods(["GET", "POST"])
def reauth_view(request: HttpRequest) -> HttpResponse:
    """Confirm it is you: the password for a password user, a ForceAuthn round trip for SSO."""
    user = request.user
    next_path = safe_next_path(request.POST.get("next") or request.GET.get("next"))
    idp = reauth_route(user=user, next_path=next_path)  # registered by ssogroups (accounts.idp_hooks)
    refused = request.session.pop(REFUSED_KEY, None)
    if isinstance(refused, str):
        messages.error(request, refused)
    if idp is not None:
        context = {"idp": idp, "next": next_path, "unavailable": "" if idp.available else MSG_SSO_UNAVAILABLE}
        return render(request, "accounts/reauth.html", context)
    form = PasswordConfirmForm(request.POST or None, initial={"next": next_path})
    if request.method == "GET" or not form.is_valid():
        return _page(request, form, status=200 if request.method == "GET" else 400)
    session_key = request.session.session_key
    # Counted per session, apart from sign-in: failures for her address on /login never stop her
    # open session from confirming it is her (accounts.login_throttle).
    refusal = reauth_refusal(user=user, session_key=session_key)
    if refusal is not None:
        message, reason, status = MSG_THROTTLED, "throttled", 429
    elif user.check_password(form.cleaned_data["password"]):
        auth_time_record(request)
        reauth_failures_clear(user=user, session_key=session_key)
        user_event_record(user=user, event=AccountEvent.REAUTH_SUCCESS, request=request, changes={"method": "password"})
        return redirect(next_path)
    else:
        reauth_failure_record(user=user, session_key=session_key)
        message, reason, status = MSG_BAD_PASSWORD, "bad credentials", 401
    form.add_error("password", message)
    if refusal is not None and not login_refusal_is_first(refusal):
        return _page(request, form, status=status)  # one throttle event per window
    user_event_record(
        user=user,
        event=AccountEvent.REAUTH_FAILURE,
        outcome=Event.Outcome.FAILURE,
        reason=reason,
        request=request,
        changes={"method": "password"},
    )
    return _page(request, form, status=status)


def _page(request: HttpRequest, form: PasswordConfirmForm, *, status: int) -> HttpResponse:
    minutes = settings.REAUTH_MAX_AGE_SECONDS // 60
    return render(request, "accounts/reauth.html", {"form": form, "reauth_minutes": minutes}, status=status)
