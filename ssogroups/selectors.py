"""Reads of SSO groups. Every admin-facing read is scoped to one account."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, QuerySet

from accounts.models import Account
from sparksso import clock
from ssogroups.metadata import EXPIRY_WARNING_DAYS
from ssogroups.models import SSOGroup


@dataclass(frozen=True)
class CertificateStatus:
    not_after: datetime | None
    expired: bool
    expiring_soon: bool


def ssogroup_list(*, account: Account) -> QuerySet[SSOGroup]:
    """The account's groups, with bound users and the latest certificate expiry (when sign-in would stop)."""
    # It is *crucial* for tenant isolation that this filters by account.
    return (
        SSOGroup.objects.filter(account=account)
        .annotate(
            bound_users=Count("users", distinct=True),
            cert_not_after=Max("certificates__not_after"),
        )
        .order_by("name", "slug")
    )


# Accounts whose plan includes SSO groups and SCIM.
SSO_PLANS = (Account.Plan.PREMIER, Account.Plan.ENTERPRISE)


def ssogroup_get(*, account_id: int, slug: str, usable: bool = False) -> SSOGroup | None:
    """The group ``slug`` of account ``account_id`` (with its account), or None.

    ``usable``: only an enabled group of an account whose plan includes SSO (what sign-in needs).
    The one way to find a group by its slug: an admin page passes the admin's own account, so
    another account's slug is simply not found; what a miss means (a 404 page, an "unknown
    group" sign-in page) is the caller's to say.
    """
    # It is *crucial* for tenant isolation that this filters by account.
    groups = SSOGroup.objects.select_related("account").filter(account_id=account_id, slug=slug)
    if usable:
        groups = groups.filter(enabled=True, account__plan__in=SSO_PLANS)
    return groups.first()


def certificate_status(not_after: datetime | None, *, now: datetime | None = None) -> CertificateStatus:
    now = now or clock.now()
    if not_after is None:
        return CertificateStatus(not_after=None, expired=False, expiring_soon=False)
    return CertificateStatus(
        not_after=not_after,
        expired=not_after <= now,
        expiring_soon=now < not_after <= now + timedelta(days=EXPIRY_WARNING_DAYS),
    )


def ssogroup_bound_user_count(*, group: SSOGroup) -> int:
    return group.users.count()
