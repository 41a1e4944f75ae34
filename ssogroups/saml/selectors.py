"""Reads for SAML sign-in: which group a URL or an identifier names, and a group's failures."""

from django.db.models import QuerySet

from accounts.models import Account, User
from accounts.selectors import email_is, username_is
from ssogroups.models import SSODomain, SSOGroup, SSOLoginFailure

SSO_PLANS = (Account.Plan.PREMIER, Account.Plan.ENTERPRISE)
FAILURES_SHOWN = 100


def ssogroup_get_usable(*, account_id: int, slug: str) -> SSOGroup | None:
    """An enabled group of an account whose plan includes SSO; None for anything else."""
    return (
        SSOGroup.objects.select_related("account")
        .filter(account_id=account_id, slug=slug, enabled=True, account__plan__in=SSO_PLANS)
        .first()
    )


def ssogroup_for_identifier(*, identifier: str) -> SSOGroup | None:
    """The one usable group an identifier signs in through: its user's bound group, else its domain's.

    Several candidate groups (the name exists in several accounts) give None: we do not guess.
    """
    identifier = identifier.strip()
    if not identifier:
        return None
    group_ids = set(
        User.objects.filter(username_is(identifier) | email_is(identifier), is_active=True)
        .exclude(sso_group=None)
        .values_list("sso_group_id", flat=True)[:10]
    )
    if not group_ids and "@" in identifier:
        domain = identifier.rsplit("@", 1)[1].lower()
        group_ids = set(SSODomain.objects.filter(domain=domain).values_list("group_id", flat=True))  # stored lowercase
    if len(group_ids) != 1:
        return None
    return (
        SSOGroup.objects.select_related("account")
        .filter(pk__in=group_ids, enabled=True, account__plan__in=SSO_PLANS)
        .first()
    )


def ssogroup_get_for_admin(*, account: Account, slug: str) -> SSOGroup | None:
    # Scoped to the admin's own account: another account's slug is simply not found.
    return SSOGroup.objects.filter(account=account, slug=slug).first()


def login_failures_recent(*, group: SSOGroup) -> QuerySet[SSOLoginFailure]:
    return SSOLoginFailure.objects.filter(group=group).order_by("-time", "-id")[:FAILURES_SHOWN]
