"""Which SSO group manages a user, from the users page (/account/users/<id>/bind, …/unbind).

Both change how a user signs in and whether her password works: each needs a recent sign-in.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import account_admin_required
from accounts.reauth import recent_auth_required
from console.users_views import account_user
from ssogroups.managed import user_bind, user_unbind
from ssogroups.models import SSOGroup

MSG_BOUND = "{username} now signs in through {group} only; her password no longer works."
MSG_UNBOUND = "{username} is no longer managed by an SSO group; she has no password until you set one."
MSG_NO_GROUP = "Choose an SSO group of this account."
# The unbind page: what stops working before the admin confirms.
MSG_UNBIND_STOPS = (
    "{username} can no longer sign in through {group}, and {group}'s SCIM token no longer sees or updates her."
)
MSG_UNBIND_PASSWORD = "She has no password, so she cannot sign in at all until you set one or bind her again."


@require_POST
@account_admin_required("users")
@recent_auth_required
def user_bind_view(request: HttpRequest, user_id: int) -> HttpResponse:
    user = account_user(request, user_id)
    # Crucial: only this account's groups can be chosen; a foreign group id is simply not found.
    group = SSOGroup.objects.filter(account=request.user.account, pk=request.POST.get("sso_group") or 0).first()
    if group is None:
        messages.error(request, MSG_NO_GROUP)
        return redirect("account-users")
    try:
        user_bind(user=user, group=group, actor=request.user.username, request=request)
    except ValidationError as exc:  # e.g. the account's last break-glass admin
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, MSG_BOUND.format(username=user.username, group=group.name))
    return redirect("account-users")


@require_http_methods(["GET", "POST"])
@account_admin_required("users")
@recent_auth_required
def user_unbind_view(request: HttpRequest, user_id: int) -> HttpResponse:
    """GET: what unbinding stops; its button POSTs here and unbinds."""
    user = account_user(request, user_id)
    if user.sso_group_id is None:
        return redirect("account-users")
    if request.method != "POST":
        context = {
            "subject": user,
            "stops": MSG_UNBIND_STOPS.format(username=user.username, group=user.sso_group.name),
            "password": MSG_UNBIND_PASSWORD,
        }
        return render(request, "console/unbind.html", context)
    user_unbind(user=user, actor=request.user.username, request=request)
    messages.success(request, MSG_UNBOUND.format(username=user.username))
    return redirect("account-users")
