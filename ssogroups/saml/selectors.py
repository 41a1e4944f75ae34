"""Reads for SAML sign-in: which group a URL or an identifier names, and a group's failures."""

import functools

from django.db import connection
from django.db.models import QuerySet

from accounts.models import Account, User
from accounts.selectors import email_is, username_is
from sparksso.rows import columns, instances
from ssogroups.domains import domain_of_identifier
from ssogroups.models import SSOCertificate, SSODomain, SSOGroup, SSOLoginFailure
from ssogroups.selectors import SSO_PLANS

FAILURES_SHOWN = 100


def _usable(group: SSOGroup | None) -> SSOGroup | None:
    return group if group is not None and group.enabled and group.account.plan in SSO_PLANS else None


@functools.cache  # the models do not change while the process runs
def _sign_in_group_sql() -> str:
    group, account, certificate = (f'"{model._meta.db_table}"' for model in (SSOGroup, Account, SSOCertificate))
    selected = ", ".join([*columns(SSOGroup, "g"), *columns(Account, "a"), 'c."pem"'])
    plans = ", ".join(["%s"] * len(SSO_PLANS))
    # Table and column names come from the models; every value is a parameter.
    return (
        f"SELECT {selected} FROM {group} g"  # noqa: S608
        f' INNER JOIN {account} a ON a."id" = g."account_id"'
        f' LEFT JOIN {certificate} c ON c."group_id" = g."id"'
        f' WHERE g."account_id" = %s AND g."slug" = %s AND g."enabled" = %s AND a."plan" IN ({plans})'
        f' ORDER BY c."id"'
    )


def ssogroup_for_sign_in(*, account_id: int, slug: str) -> SSOGroup | None:
    """What ``ssogroup_get(usable=True)`` finds (an enabled group of an account whose plan has SSO,
    with its account), and the PEMs of the certificates it trusts now, in order, as
    ``certificate_pems``: one hand-written SELECT for what every sign-in reads first, instead of
    two ORM queries (docs/performance.md: the sign-in's group was the largest of its reads)."""
    # It is *crucial* for tenant isolation that this filters by account.
    with connection.cursor() as cursor:
        cursor.execute(_sign_in_group_sql(), [account_id, slug, True, *SSO_PLANS])
        rows = cursor.fetchall()
    if not rows:
        return None
    (group, account), start = instances(rows[0], SSOGroup, Account)
    group.account = account
    group.certificate_pems = [row[start] for row in rows if row[start] is not None]
    return group


def ssogroup_for_identifier(*, identifier: str) -> SSOGroup | None:
    """The one usable group an identifier typed on /login signs in through, or None (password step).

    Security-critical: data one account writes (a SCIM user, an email address) must never steer
    another account's users to its IdP. So an identifier routes only through
    (a) its email domain, verified by one account (the constraint allows no second), or
    (b) a user who is the only one in ALL accounts with that username or email and is managed by
        a group; when some account has verified the domain, only a user of that account counts.
    A managed user's own group wins over the domain's group of the same account: it is the group
    that signs them in. Otherwise a verified domain sends everyone at it to its group, and without
    one, unknown, ambiguous and password identifiers all get None alike.
    """
    identifier = identifier.strip()
    if not identifier:
        return None
    domain = domain_of_identifier(identifier)
    claim = (
        SSODomain.objects.select_related("group__account")
        .filter(domain=domain, verified_at__isnull=False)  # unverified claims route nothing
        .first()
        if domain
        else None
    )
    # Every account, active or not: a name that exists twice anywhere is ambiguous, and we do not guess.
    users = list(
        User.objects.select_related("sso_group__account").filter(username_is(identifier) | email_is(identifier))[:2]
    )
    if len(users) == 1:
        user = users[0]
        if user.is_active and user.sso_group is not None and (claim is None or user.account_id == claim.account_id):
            group = _usable(user.sso_group)
            if group is not None:
                return group
    return _usable(claim.group) if claim is not None else None


def login_failures_recent(*, group: SSOGroup) -> QuerySet[SSOLoginFailure]:
    return SSOLoginFailure.objects.filter(group=group).order_by("-time", "-id")[:FAILURES_SHOWN]
