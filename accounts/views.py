"""Sign-in, sign-out, the dashboard and the session JSON."""

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts import throttle
from accounts.forms import LoginForm
from accounts.middleware import client_ip
from accounts.models import Event
from accounts.services import event_record
from sparksso.redirects import safe_next_path
from ssogroups.saml.routing import sso_login_redirect

MSG_BAD_CREDENTIALS = "That email/username and password did not match an active account."
MSG_THROTTLED = "Too many failed sign-in attempts. Wait a few minutes and try again."


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Email/username first; SSO users are sent to their IdP, everyone else gets a password field."""
    next_path = safe_next_path(request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_path)
    form = LoginForm(request.POST or None, initial={"next": next_path})
    step = "identifier"
    status = 200
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["identifier"].strip()
        password = form.cleaned_data["password"]
        if not password:
            target = sso_login_redirect(identifier=identifier, next_path=next_path)
            if target:
                return redirect(target)
            step = "password"
        else:
            step = "password"
            ip = client_ip(request)
            if throttle.login_throttled(identifier=identifier, ip=ip):
                form.add_error(None, MSG_THROTTLED)
                status = 429
                event_record(
                    account=None,
                    event="password_login_failure",
                    target=identifier,
                    outcome=Event.Outcome.FAILURE,
                    reason="throttled",
                    request=request,
                )
            else:
                user = authenticate(request, identifier=identifier, password=password)
                if user is None:
                    throttle.login_failure_record(identifier=identifier, ip=ip)
                    form.add_error(None, MSG_BAD_CREDENTIALS)
                    status = 401
                    event_record(
                        account=None,
                        event="password_login_failure",
                        target=identifier,
                        outcome=Event.Outcome.FAILURE,
                        reason="bad credentials",
                        request=request,
                    )
                else:
                    throttle.login_failures_clear(identifier=identifier)
                    request.session["auth_method"] = "password"
                    login(request, user)
                    request.session["auth_method"] = "password"
                    event_record(
                        account=user.account,
                        event="password_login_success",
                        actor=user.username,
                        target=user.username,
                        request=request,
                    )
                    return redirect(next_path)
    elif request.method == "POST":
        status = 400
    return render(request, "accounts/login.html", {"form": form, "step": step}, status=status)


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """POST signs out (CSRF-protected); GET only shows the button, so a link cannot sign anyone out."""
    if request.method == "POST":
        if request.user.is_authenticated:
            event_record(
                account=request.user.account,
                event="logout",
                actor=request.user.username,
                target=request.user.username,
                request=request,
            )
        logout(request)
        messages.info(request, "You have been signed out.")
        return redirect("login")
    return render(request, "accounts/logout.html")


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/dashboard.html", {"auth_method": request.session.get("auth_method", "password")})


@require_GET
def session_view(request: HttpRequest) -> JsonResponse:
    """The current browser session as JSON (DESIGN.md: /api/v1/session)."""
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"authenticated": False}, status=401)
    return JsonResponse(
        {
            "authenticated": True,
            "username": user.username,
            "email": user.email,
            "account_id": user.account_id,
            "sso_group": user.sso_group.slug if user.sso_group_id else None,
            "auth_method": request.session.get("auth_method", "password"),
            "role": user.role,
        }
    )
