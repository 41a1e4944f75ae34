"""The users page: list, add, deactivate and reactivate the account's users.

Adding a user gives her a role and deactivating ends her sessions: both are privilege changes, so
each needs a recent sign-in (accounts.reauth). Reactivating stays without one (a user the admin
stopped gets back only what she had; the IdP keeps a SCIM-managed user's status).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.event_types import AccountEvent
from accounts.models import Account, User
from accounts.permissions import account_admin_required
from accounts.reauth import auth_is_recent, reauth_redirect
from accounts.users import user_create, user_update
from console.forms import UserAddForm
from sparksso.forms import form_errors_from_service
from ssogroups.models import SSOGroup

MSG_SCIM_MANAGED = (
    "{username} is managed by {group} via SCIM: change her name, email or status in your IdP, which keeps them."
)
MSG_SELF_DEACTIVATE = "You cannot deactivate yourself."


def scim_group_ids(*, account: Account) -> set[int]:
    """SSO groups with an active SCIM token: their users' name, email and status belong to the IdP."""
    # Scoped to the account: another tenant's groups never count.
    groups = SSOGroup.objects.filter(account=account, scim_tokens__revoked_at__isnull=True)
    return set(groups.values_list("pk", flat=True))


def account_user(request: HttpRequest, user_id: int) -> User:
    """The user ``user_id`` of the admin's account, or a 404."""
    # It is *crucial* for tenant isolation that the lookup is filtered by the admin's account:
    # another account's user id is a 404.
    user = User.objects.filter(account=request.user.account, pk=user_id).select_related("sso_group").first()
    if user is None:
        raise Http404("No such user in this account.")
    return user


@account_admin_required("users", needs_sso_plan=False)
def users_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and not auth_is_recent(request):  # a new user gets a role: confirm it is you
        return reauth_redirect(request)
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
    account = request.user.account
    users = User.objects.filter(account=account).select_related("sso_group").order_by("username")
    scim_groups = scim_group_ids(account=account)
    rows = [(u, u.sso_group if u.sso_group_id in scim_groups else None) for u in users]
    sso_groups = SSOGroup.objects.filter(account=account).order_by("name") if account.has_sso else []
    context = {"form": form, "rows": rows, "sso_groups": sso_groups}
    return render(request, "console/users.html", context, status=status)


@require_POST
@account_admin_required("users", needs_sso_plan=False)
def user_active_view(request: HttpRequest, user_id: int) -> HttpResponse:
    """Deactivate (ending every session of that user at once) or reactivate a user."""
    user = account_user(request, user_id)
    active = request.POST.get("active") == "true"
    if user.pk == request.user.pk and not active:
        messages.error(request, MSG_SELF_DEACTIVATE)
        return redirect("account-users")
    if not active and not auth_is_recent(request):  # deactivation ends sessions: confirm it is you
        return reauth_redirect(request)
    # The IdP owns a SCIM-managed user's status; only an emergency deactivation stays with the admin
    # (deactivation is immediate and ends her sessions), never a reactivation the IdP would undo.
    if active and user.sso_group_id in scim_group_ids(account=request.user.account):
        messages.error(request, MSG_SCIM_MANAGED.format(username=user.username, group=user.sso_group.name))
        return redirect("account-users")
    event = AccountEvent.USER_ACTIVATE if active else AccountEvent.USER_DEACTIVATE
    try:
        user_update(user=user, actor=request.user.username, request=request, event=event, is_active=active)
    except ValidationError as exc:  # e.g. the account's last active admin
        messages.error(request, " ".join(exc.messages))
        return redirect("account-users")
    messages.success(request, f"User {user.username} {'reactivated' if active else 'deactivated'}.")
    return redirect("account-users")
