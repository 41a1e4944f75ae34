"""Who is signed in: the dashboard (with the setup checklist for an admin of an SSO plan) and the
same facts as JSON (/api/v1/session). Both name the user's SSO group, hence the console."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from console.checklist import setup_checklist
from sparksso import clock
from ssogroups.expiry import expiry_warnings_for_account


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    context = {"auth_method": request.session.get("auth_method", "password")}
    if request.user.is_admin and request.user.account.has_sso:
        steps = setup_checklist(account=request.user.account)
        context["steps"] = steps
        context["steps_done"] = sum(step.done for step in steps)
        context["expiry_warnings"] = expiry_warnings_for_account(account=request.user.account, now=clock.now())
    return render(request, "console/dashboard.html", context)


@require_GET
def session_view(request: HttpRequest) -> JsonResponse:
    """The current browser session as JSON (a stable URL: the README's "Stable URLs and commands")."""
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
