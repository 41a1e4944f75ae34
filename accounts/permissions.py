"""Who may reach the account-admin pages (SSO configuration, settings, events)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

MSG_NOT_ADMIN = "Only account admins can manage {feature}. Ask an admin of your account for access."
MSG_PLAN = (
    "{feature_cap} is available on the Premier and Enterprise plans. Your account is on the {plan} plan; "
    "upgrade it to connect an identity provider."
)


def account_admin_required(feature: str, *, needs_sso_plan: bool = True) -> Callable:
    """Signed-in admin of an account whose plan includes SSO; otherwise a page that says why (403)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.is_admin:
                message = MSG_NOT_ADMIN.format(feature=feature)
            elif needs_sso_plan and not user.account.has_sso:
                message = MSG_PLAN.format(
                    feature_cap=feature[:1].upper() + feature[1:], plan=user.account.get_plan_display()
                )
            else:
                return view(request, *args, **kwargs)
            return render(request, "access_denied.html", {"message": message}, status=403)

        return wrapped

    return decorator
