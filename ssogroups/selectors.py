"""Reads of SSO groups. Every admin-facing read is scoped to one account."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, QuerySet
from django.http import Http404

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


def ssogroup_get(*, account: Account, slug: str) -> SSOGroup:
    """One of the account's groups; another account's slug is a 404, exactly like an unknown one."""
    try:
        return ssogroup_list(account=account).get(slug=slug)
    except SSOGroup.DoesNotExist as exc:
        raise Http404("No such SSO group.") from exc


def ssogroup_get_public(*, account_id: int, slug: str) -> SSOGroup:
    """For the public SP metadata URL: the group named by its account id and slug, or 404."""
    try:
        return SSOGroup.objects.select_related("account").get(account_id=account_id, slug=slug)
    except SSOGroup.DoesNotExist as exc:
        raise Http404("No such SSO group.") from exc


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
