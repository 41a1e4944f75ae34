"""Warnings before SSO breaks: a group's IdP certificate about to expire or expired, and an
IdP metadata URL that has failed to refresh for days. The pages show them (``expiry_warnings_*``);
the daily ``ssogroups_check`` records an event and emails the account's admins once per threshold
(``expiry_notice_send``)."""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Account, User
from ssogroups.certificates import EXPIRY_WARNING_DAYS
from ssogroups.event_types import SSOGroupEvent
from ssogroups.models import SSOExpiryNotice, SSOGroup
from ssogroups.services import ssogroup_event_record

# Days before the expiry of a group's last certificate at which a warning is due (0: expired): the
# first is the pages' own warning window (ssogroups.certificates), so pages and emails agree.
CERTIFICATE_THRESHOLDS = (EXPIRY_WARNING_DAYS, 7)
# Days a metadata URL may fail to refresh before its admins are told.
REFRESH_FAILING_DAYS = 7

MSG_CERT_EXPIRING = (
    "SSO group {group}: its SAML 2.0 Certificate (SHA-256 {fingerprint}) expires on {date} (in {days}). "
    "Sign-in through this group stops then, unless the IdP's new certificate is added to the group first."
)
DAYS_ONE, DAYS_MANY = "1 day", "{days} days"
MSG_CERT_EXPIRED = (
    "SSO group {group}: its SAML 2.0 Certificate (SHA-256 {fingerprint}) expired on {date}. "
    "Sign-in through this group fails until the IdP's new certificate is added to the group."
)
MSG_REFRESH_FAILING = (
    "SSO group {group}: its IdP metadata URL {url} has not refreshed since {date} ({days} days). Last error: {error}"
)
MAIL_SUBJECT = {
    SSOGroupEvent.SSO_GROUP_CERTIFICATE_EXPIRING: "SSO group {group}: its IdP certificate expires on {date}",
    SSOGroupEvent.SSO_GROUP_CERTIFICATE_EXPIRED: "SSO group {group}: its IdP certificate expired on {date}",
    SSOGroupEvent.SSO_GROUP_METADATA_REFRESH_FAILING: "SSO group {group}: its IdP metadata has not refreshed since "
    "{date}",
}
MAIL_BODY = "{message}\n\nThe group's page: {url}\n\nYou receive this as an admin of the account {account}.\n"

# A warning about a certificate counts as sent when one as urgent or more urgent was sent already.
_CERTIFICATE_KINDS = (SSOGroupEvent.SSO_GROUP_CERTIFICATE_EXPIRING, SSOGroupEvent.SSO_GROUP_CERTIFICATE_EXPIRED)


@dataclass(frozen=True)
class ExpiryWarning:
    group: SSOGroup
    event: SSOGroupEvent
    level: str  # "warning" or "error", as the pages style it
    subject: str  # the certificate's fingerprint, or when the metadata last refreshed
    threshold: int  # 30 or 7 days before expiry, 0 once expired; 7 days of failing refresh
    date: datetime
    message: str


def _days_until(moment: datetime, now: datetime) -> int:
    return math.ceil((moment - now).total_seconds() / 86400)


def group_expiry_warnings(group: SSOGroup, *, now: datetime) -> list[ExpiryWarning]:
    """What is about to break (or broke) in ``group``. Reads ``group.certificates`` (prefetch it for many)."""
    warnings = []
    dated = [c for c in group.certificates.all() if c.not_after is not None]
    # Sign-in stops when the last certificate expires: an older one in a rollover breaks nothing.
    last = max(dated, key=lambda c: c.not_after, default=None)
    if last is not None and _days_until(last.not_after, now) <= EXPIRY_WARNING_DAYS:
        warnings.append(_certificate_warning(group, last.sha256_fingerprint, last.not_after, now=now))
    since = group.metadata_fetched_at or group.created_at
    if group.idp_metadata_url and group.metadata_refresh_error and since <= now - timedelta(REFRESH_FAILING_DAYS):
        message = MSG_REFRESH_FAILING.format(
            group=group.name,
            url=group.idp_metadata_url,
            date=f"{since:%Y-%m-%d}",
            days=(now - since).days,
            error=group.metadata_refresh_error,
        )
        event = SSOGroupEvent.SSO_GROUP_METADATA_REFRESH_FAILING
        warnings.append(ExpiryWarning(group, event, "warning", since.isoformat(), REFRESH_FAILING_DAYS, since, message))
    return warnings


def _certificate_warning(group: SSOGroup, fingerprint: str, not_after: datetime, *, now: datetime) -> ExpiryWarning:
    days = _days_until(not_after, now)
    facts = {"group": group.name, "fingerprint": fingerprint, "date": f"{not_after:%Y-%m-%d}"}
    if days <= 0:
        event, level, threshold = SSOGroupEvent.SSO_GROUP_CERTIFICATE_EXPIRED, "error", 0
        message = MSG_CERT_EXPIRED.format(**facts)
    else:
        event, level = SSOGroupEvent.SSO_GROUP_CERTIFICATE_EXPIRING, "warning"
        threshold = min(t for t in CERTIFICATE_THRESHOLDS if days <= t)
        message = MSG_CERT_EXPIRING.format(days=DAYS_ONE if days == 1 else DAYS_MANY.format(days=days), **facts)
    return ExpiryWarning(group, event, level, fingerprint, threshold, not_after, message)


def expiry_warnings_for_account(*, account: Account, now: datetime) -> list[ExpiryWarning]:
    """Every warning of the account's groups, for the dashboard and the SSO groups list."""
    # It is *crucial* for tenant isolation that this filters by account.
    groups = SSOGroup.objects.filter(account=account).prefetch_related("certificates").order_by("name", "slug")
    return [warning for group in groups for warning in group_expiry_warnings(group, now=now)]


def expiry_admin_emails(*, account: Account) -> list[str]:
    """Who is told: the account's active admins with an email address (password or SSO admins alike)."""
    admins = User.objects.filter(account=account, role=User.Role.ADMIN, is_active=True).exclude(email="")
    return list(admins.order_by("id").values_list("email", flat=True))


def expiry_notice_send(*, warning: ExpiryWarning, actor: str) -> list[str] | None:
    """Record the warning's event and email the account's admins, once per threshold: None when it
    was sent already (by an earlier run, or by a run at the same time). Sending failures
    (smtplib.SMTPException, OSError) propagate and write nothing, so the next run tries again."""
    group = warning.group
    kinds = _CERTIFICATE_KINDS if warning.event in _CERTIFICATE_KINDS else (warning.event,)
    with transaction.atomic():
        notices = SSOExpiryNotice.objects.filter(group=group, kind__in=kinds, subject=warning.subject)
        if notices.filter(threshold__lte=warning.threshold).exists():
            return None
        try:
            with transaction.atomic():
                SSOExpiryNotice.objects.create(
                    group=group, kind=warning.event, subject=warning.subject, threshold=warning.threshold
                )
        except IntegrityError:  # another run claimed this threshold a moment ago: it sends
            return None
        recipients = expiry_admin_emails(account=group.account)
        ssogroup_event_record(
            group=group,
            event=warning.event,
            actor=actor,
            reason=warning.message,
            changes={
                "subject": warning.subject,
                "date": warning.date.isoformat(),
                "threshold_days": warning.threshold,
                "emailed": recipients,
            },
        )
        _mail(warning, recipients)
    return recipients


def _mail(warning: ExpiryWarning, recipients: Iterable[str]) -> None:
    group = warning.group
    subject = MAIL_SUBJECT[warning.event].format(group=group.name, date=f"{warning.date:%Y-%m-%d}")
    url = settings.BASE_URL + reverse("ssogroup-detail", kwargs={"slug": group.slug})
    body = MAIL_BODY.format(message=warning.message, url=url, account=group.account.name)
    # One message per admin: no admin learns the others' addresses.
    messages = [EmailMessage(subject=subject, body=body, to=[to]) for to in recipients]
    if messages:
        get_connection().send_messages(messages)
