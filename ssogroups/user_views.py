"""Binding users to SSO groups from the users page (/account/users/<id>/bind, …/unbind).

accounts owns the users page but knows nothing of SSO groups; these two actions live here and the
page's template posts to them.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import account_admin_required
from ssogroups.bindings import user_bind, user_unbind
from ssogroups.models import SSOGroup

MSG_BOUND = "{username} now signs in through {group} only; her password no longer works."
MSG_UNBOUND = "{username} is no longer managed by an SSO group; she has no password until you set one."
MSG_NO_GROUP = "Choose an SSO group of this account."


def _account_user(request: HttpRequest, user_id: int) -> User:
    # Crucial for tenant isolation: another account's user id is a 404.
    user = User.objects.filter(account=request.user.account, pk=user_id).select_related("sso_group").first()
    if user is None:
        raise Http404("No such user in this account.")
    return user


@require_POST
@account_admin_required("users")
def user_bind_view(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _account_user(request, user_id)
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


@require_POST
@account_admin_required("users")
def user_unbind_view(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _account_user(request, user_id)
    user_unbind(user=user, actor=request.user.username, request=request)
    messages.success(request, MSG_UNBOUND.format(username=user.username))
    return redirect("account-users")
