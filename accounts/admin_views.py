"""The account admin's users page: list, add, deactivate and reactivate users of the account."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.admin_forms import UserAddForm
from accounts.models import User
from accounts.permissions import account_admin_required
from accounts.reauth import auth_is_recent, reauth_redirect
from accounts.users import user_create, user_update
from sparksso.forms import form_errors_from_service


def _account_user(request: HttpRequest, user_id: int) -> User:
    # It is *crucial* for tenant isolation that the lookup is filtered by the admin's account:
    # another account's user id is a 404.
    user = User.objects.filter(account=request.user.account, pk=user_id).first()
    if user is None:
        raise Http404("No such user in this account.")
    return user


@account_admin_required("users", needs_sso_plan=False)
def users_view(request: HttpRequest) -> HttpResponse:
    form = UserAddForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = user_create(
                    account=request.user.account, actor=request.user.username, request=request, **form.cleaned_data
                )
            except ValidationError as exc:
                form_errors_from_service(form, exc)
            else:
                messages.success(request, f"User {user.username} added.")
                return redirect("account-users")
        status = 400
    users = User.objects.filter(account=request.user.account).select_related("sso_group").order_by("username")
    # The account's SSO groups, through the reverse relation (accounts does not import ssogroups).
    sso_groups = request.user.account.sso_groups.order_by("name") if request.user.account.has_sso else []
    return render(
        request, "accounts/users.html", {"form": form, "users": users, "sso_groups": sso_groups}, status=status
    )


@require_POST
@account_admin_required("users", needs_sso_plan=False)
def user_active_view(request: HttpRequest, user_id: int) -> HttpResponse:
    """Deactivate (ending every session of that user at once) or reactivate a user."""
    user = _account_user(request, user_id)
    active = request.POST.get("active") == "true"
    if user.pk == request.user.pk and not active:
        messages.error(request, "You cannot deactivate yourself.")
        return redirect("account-users")
    if not active and not auth_is_recent(request):  # deactivation ends sessions: confirm it is you
        return reauth_redirect(request)
    event = "user_activate" if active else "user_deactivate"
    try:
        user_update(user=user, actor=request.user.username, request=request, event=event, is_active=active)
    except ValidationError as exc:  # e.g. the account's last active admin
        messages.error(request, " ".join(exc.messages))
        return redirect("account-users")
    messages.success(request, f"User {user.username} {'reactivated' if active else 'deactivated'}.")
    return redirect("account-users")
