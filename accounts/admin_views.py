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

MSG_SCIM_MANAGED = (
    "{username} is managed by {group} via SCIM: change her name, email or status in your IdP, which keeps them."
)


def scim_group_ids(*, account) -> set[int]:
    """SSO groups with an active SCIM token: their users' name, email and status belong to the IdP."""
    # Through the account's reverse relations: accounts/ imports nothing from ssogroups or scim.
    return set(account.sso_groups.filter(scim_tokens__revoked_at__isnull=True).values_list("pk", flat=True))


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
    scim_groups = scim_group_ids(account=request.user.account)
    rows = [(u, u.sso_group if u.sso_group_id in scim_groups else None) for u in users]
    # The account's SSO groups, through the reverse relation (accounts does not import ssogroups).
    sso_groups = request.user.account.sso_groups.order_by("name") if request.user.account.has_sso else []
    context = {"form": form, "rows": rows, "sso_groups": sso_groups}
    return render(request, "accounts/users.html", context, status=status)


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
    # The IdP owns a SCIM-managed user's status; only an emergency deactivation stays with the admin
    # (deactivation is immediate and ends her sessions), never a reactivation the IdP would undo.
    if active and user.sso_group_id in scim_group_ids(account=request.user.account):
        messages.error(request, MSG_SCIM_MANAGED.format(username=user.username, group=user.sso_group.name))
        return redirect("account-users")
    event = "user_activate" if active else "user_deactivate"
    try:
        user_update(user=user, actor=request.user.username, request=request, event=event, is_active=active)
    except ValidationError as exc:  # e.g. the account's last active admin
        messages.error(request, " ".join(exc.messages))
        return redirect("account-users")
    messages.success(request, f"User {user.username} {'reactivated' if active else 'deactivated'}.")
    return redirect("account-users")
