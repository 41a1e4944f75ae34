"""Which SSO group manages a user. Only an account admin binds an existing user (users page,
``ssogroup_bind_user``); an SSO sign-in adopts one only under the group's explicit policy."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts.models import User
from accounts.users import user_manage
from ssogroups.event_types import SSOGroupEvent
from ssogroups.models import SSODomain, SSOGroup

MSG_GROUP_FOREIGN = "That SSO group does not belong to this user's account."
MSG_ALREADY_MANAGED = "{username} is already managed by the SSO group {group}; unbind it first."


def user_bind(*, user: User, group: SSOGroup, actor: str, request: HttpRequest | None = None) -> User:
    """An admin hands an unmanaged user to ``group``: her password stops working, her sessions end."""
    if group.account_id != user.account_id:  # crucial: a group manages users of its own account only
        raise ValidationError(MSG_GROUP_FOREIGN)
    if user.sso_group_id is not None and user.sso_group_id != group.pk:
        raise ValidationError(MSG_ALREADY_MANAGED.format(username=user.username, group=user.sso_group.name))
    return user_manage(user=user, sso_group=group, actor=actor, request=request, event=SSOGroupEvent.USER_BIND)


def user_unbind(*, user: User, actor: str, request: HttpRequest | None = None) -> User:
    """No group manages the user any more; she has no password until an admin sets one."""
    return user_manage(user=user, sso_group=None, actor=actor, request=request, event=SSOGroupEvent.USER_UNBIND)


def adoptable(*, user: User, group: SSOGroup) -> bool:
    """The group's adopt policy covers this unmanaged user: on, a non-admin without a usable password,
    whose email's domain the group claims and the account has verified."""
    if not group.adopt_existing_users or user.sso_group_id is not None or user.is_admin:
        return False
    if user.has_usable_password() and user.password:
        return False
    domain = user.email.rsplit("@", 1)[1].lower() if "@" in user.email else ""
    # Scoped to this group of this account, and only verified claims count.
    return (
        bool(domain)
        and SSODomain.objects.filter(
            group=group, account_id=group.account_id, domain=domain, verified_at__isnull=False
        ).exists()
    )


def user_adopt(*, user: User, group: SSOGroup, request: HttpRequest | None = None) -> User:
    """Bind an adoptable user during her first sign-in through ``group``."""
    return user_manage(
        user=user, sso_group=group, actor=f"sso:{group.slug}", request=request, event=SSOGroupEvent.USER_ADOPT_SSO
    )
