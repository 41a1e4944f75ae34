"""python manage.py ssogroups_check: the daily warnings before SSO breaks (certificate expiry, failing
metadata refresh), recorded as events and emailed to each account's admins once per threshold."""

from functools import partial

from sparksso import clock
from ssogroups.expiry import expiry_notice_send, group_expiry_warnings
from ssogroups.management.batch import BatchCommand
from ssogroups.models import SSOGroup
from ssogroups.sp_key_rotation import sp_key_promote_due

ACTOR = "ssogroups_check"


class Command(BatchCommand):
    help = (
        "Check every enabled SSO group: a certificate expiring within 30 or 7 days or expired, a metadata URL "
        "failing to refresh for 7 days. Each is recorded and emailed to the account's admins once per threshold; "
        "running it again sends nothing more. Exits 1 when a warning could not be sent (it is tried again next run). "
        "Also promotes the next SP key once it has been published SP_KEY_ROLLOVER_DAYS (`sp_keys`)."
    )

    failed_message = "{failed} of {total} group(s) could not be checked"

    def handle(self, *args, **opts):
        promoted = sp_key_promote_due(actor=ACTOR)
        if promoted is not None:
            self.stdout.write(f"sp key {promoted.sha256_fingerprint}: promoted to current")
        groups = (
            SSOGroup.objects.filter(enabled=True)
            .select_related("account")
            .prefetch_related("certificates")
            .order_by("account_id", "slug")
        )
        self.run_each(list(groups), partial(_check, now=clock.now()))


def _check(group: SSOGroup, *, now) -> tuple[bool, str]:
    label = f"{group.account_id}/{group.slug}"
    said = []
    for warning in group_expiry_warnings(group, now=now):
        try:
            emailed = expiry_notice_send(warning=warning, actor=ACTOR)
        except OSError as exc:  # smtplib.SMTPException is one; so are a refused connection and DNS
            return False, f"{label}: failed: {warning.event}: the email could not be sent ({exc})"
        if emailed is None:
            said.append(f"{warning.event} ({warning.date:%Y-%m-%d}): already sent")
        else:
            said.append(f"{warning.event} ({warning.date:%Y-%m-%d}): {len(emailed)} admin(s) emailed")
    return True, f"{label}: {'; '.join(said) if said else 'ok'}"
