"""Password sign-in (after /login routing) and sign-out."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.event_types import AccountEvent
from accounts.events import event_record, user_event_record
from accounts.forms import LoginForm
from accounts.identifiers import identifier_normalise
from accounts.idp_hooks import account_uses_idp, sign_out_route
from accounts.login_routing import login_route
from accounts.login_throttle import (
    failure_target,
    identifier_names_a_user,
    login_failure_record,
    login_refusal,
    login_refusal_is_first,
    login_success_record,
)
from accounts.models import Event
from accounts.reauth import auth_time_record
from sparksso.middleware import client_ip
from sparksso.redirects import safe_next_path

MSG_BAD_CREDENTIALS = "That email/username and password did not match an active account."
MSG_THROTTLED = "Too many failed sign-in attempts. Wait a few minutes and try again."


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Email/username first; SSO users are sent to their IdP, everyone else gets a password field."""
    next_path = safe_next_path(request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_path)
    form = LoginForm(request.POST or None, initial={"next": next_path})
    if request.method == "GET":
        # ?method=password asks for both fields at once: the way in for a break-glass admin whose
        # email domain routes everyone else to the IdP.
        step = "password" if request.GET.get("method") == "password" else "identifier"
        return render(request, "accounts/login.html", {"form": form, "step": step, **_password_link(next_path)})
    if not form.is_valid():
        return render(request, "accounts/login.html", {"form": form, "step": "identifier"}, status=400)
    identifier = identifier_normalise(form.cleaned_data["identifier"])  # the form names are stored in
    password = form.cleaned_data["password"]
    status = 200
    if not password:
        target = login_route(identifier=identifier, next_path=next_path)
        if target:
            return redirect(target)
    else:
        user, status = _password_attempt(request, form, identifier=identifier, password=password)
        if user is not None:
            return redirect(next_path)
    return render(request, "accounts/login.html", {"form": form, "step": "password"}, status=status)


def _password_link(next_path: str) -> dict[str, str]:
    query = {"method": "password", **({"next": next_path} if next_path != "/" else {})}
    return {"password_url": f"{reverse('login')}?{urlencode(query)}"}


def _password_attempt(request: HttpRequest, form: LoginForm, *, identifier: str, password: str) -> tuple:
    """Sign in and return (user, 200); or add the reason to the form and return (None, status).

    A refused attempt (accounts.login_throttle) is not checked and writes one event per window.
    """
    ip = client_ip(request)
    refusal = login_refusal(identifier=identifier, ip=ip)
    if refusal is not None:
        form.add_error(None, MSG_THROTTLED)
        if login_refusal_is_first(refusal):
            _failure_event(request, identifier, reason="throttled")
        return None, 429
    user = authenticate(request, identifier=identifier, password=password)
    if user is None:
        known = identifier_names_a_user(identifier)
        login_failure_record(identifier=identifier, ip=ip, known=known)
        form.add_error(None, MSG_BAD_CREDENTIALS)
        _failure_event(request, identifier, reason="bad credentials", known=known)
        return None, 401
    login_success_record(identifier=identifier, ip=ip)
    request.session["auth_method"] = "password"
    login(request, user)
    request.session["auth_method"] = "password"  # login() may have flushed a different user's session
    auth_time_record(request)
    user_event_record(user=user, event=AccountEvent.PASSWORD_LOGIN_SUCCESS, request=request)
    if user.is_admin and account_uses_idp(user.account):
        # SSO is how this account signs in; a password admin coming in anyway is worth a separate look.
        user_event_record(user=user, event=AccountEvent.BREAK_GLASS_SIGN_IN, request=request)
    return user, 200


def _failure_event(request: HttpRequest, identifier: str, *, reason: str, known: bool | None = None) -> None:
    if known is None:
        known = identifier_names_a_user(identifier)
    event_record(
        account=None,
        event=AccountEvent.PASSWORD_LOGIN_FAILURE,
        target=failure_target(identifier, known=known),
        outcome=Event.Outcome.FAILURE,
        reason=reason,
        request=request,
    )


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """POST signs out (CSRF-protected); GET only shows the button, so a link cannot sign anyone out."""
    if request.method == "POST":
        sign_out = None
        if request.user.is_authenticated:
            user_event_record(user=request.user, event=AccountEvent.LOGOUT, request=request)
            sign_out = sign_out_route(request)  # Single Logout: read before the session ends
        logout(request)  # first, whatever the IdP does next
        messages.info(request, "You have been signed out.")
        response = sign_out(request) if sign_out is not None else None
        return response or redirect("login")
    return render(request, "accounts/logout.html")
