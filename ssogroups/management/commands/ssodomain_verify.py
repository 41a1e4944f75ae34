"""python manage.py ssodomain_verify --account ID [--domain D]: check claimed domains' DNS TXT records now."""

from django.core.management.base import CommandError

from accounts.models import Account
from ssogroups.domains_verify import ssodomain_verify
from ssogroups.management.batch import BatchCommand
from ssogroups.models import SSODomain

ACTOR = "ssodomain_verify"
MSG_NO_ACCOUNT = "No account with id {account}."
MSG_NOT_CLAIMED = "Account {account} has not claimed the domain {domain}; add it to an SSO group first."
MSG_NOTHING = "No unverified domain to check."
MSG_FAILED = "{failed} of {total} domain(s) could not be verified"


class Command(BatchCommand):
    help = (
        "Check the DNS TXT record of an account's unverified domains (or of one domain, verified or not). "
        "Prints one line per domain; exits 1 when any check fails."
    )

    failed_message = MSG_FAILED
    single_failure_is_the_error = True  # one domain, one line

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, required=True, help="the account's id")
        parser.add_argument("--domain", default=None, help="only this domain (checked again even when verified)")

    def handle(self, *args, **opts):
        account = Account.objects.filter(pk=opts["account"]).first()
        if account is None:
            raise CommandError(MSG_NO_ACCOUNT.format(account=opts["account"]))
        # Scoped to the account: a domain claimed by another account is "not claimed" here.
        claims = SSODomain.objects.filter(account=account).select_related("account", "group").order_by("domain")
        if opts["domain"] is not None:
            domain = opts["domain"].strip().lower().lstrip("@").rstrip(".")
            claims = claims.filter(domain=domain)
            if not claims:
                raise CommandError(MSG_NOT_CLAIMED.format(account=account.pk, domain=domain))
        else:
            claims = claims.filter(verified_at__isnull=True)
            if not claims:
                self.stdout.write(MSG_NOTHING)
                return
        self.run_each(claims, _verify)


def _verify(claim: SSODomain) -> tuple[bool, str]:
    check = ssodomain_verify(claim=claim, actor=ACTOR)
    if check.verified:
        return True, f"{claim.domain}: verified"
    return False, f"{claim.domain}: {check.reason}: {check.message}"
