"""The dashboard: who is signed in and, for an admin of an SSO plan, the setup checklist."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console.checklist import setup_checklist


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    context = {"auth_method": request.session.get("auth_method", "password")}
    if request.user.is_admin and request.user.account.has_sso:
        steps = setup_checklist(account=request.user.account)
        context["steps"] = steps
        context["steps_done"] = sum(step.done for step in steps)
    return render(request, "console/dashboard.html", context)
