"""What accounts asks of SSO groups (accounts.idp_hooks), registered by SsogroupsConfig.ready():
how a managed user confirms it is her, and whether an account signs in through an IdP."""

from urllib.parse import urlencode

from accounts.idp_hooks import IdpReauth
from accounts.models import Account, User
from ssogroups.models import SSOGroup


def sso_reauth_route(*, user: User, next_path: str) -> IdpReauth | None:
    """A ForceAuthn round trip through the group that manages ``user``; None for a password user."""
    if user.sso_group_id is None:
        return None
    group = user.sso_group
    url = f"{group.login_url}?{urlencode({'reauth': '1', 'next': next_path})}"
    return IdpReauth(name=group.name, url=url, available=group.enabled)


def sso_in_use(account: Account) -> bool:
    """The account has an enabled SSO group (scoped to the account)."""
    return SSOGroup.objects.filter(account=account, enabled=True).exists()
