"""python manage.py scim_token_create --account ID [--group SLUG] [--label L]

Prints the new token once on stdout and nothing else; bad arguments exit 1 with one line.
"""

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from scim.tokens import scim_token_create
from ssogroups.models import SSOGroup


class Command(BaseCommand):
    help = "Generate a SCIM token for an account's SSO group; prints the token once."

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Argument errors become CommandErrors too: one line on stderr and exit 1, never usage text.
        parser.called_from_command_line = False
        return parser

    def run_from_argv(self, argv):
        try:
            super().run_from_argv(argv)
        except CommandError as exc:  # from argument parsing, which Django runs outside its own handler
            self.stderr.write(f"CommandError: {exc}")
            sys.exit(1)

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, type=int)
        parser.add_argument("--group", default=None, help="SSO group slug; optional when the account has one")
        parser.add_argument("--label", default="")

    def handle(self, *args, **opts):
        account = Account.objects.filter(pk=opts["account"]).first()
        if account is None:
            raise CommandError(f"no account with id {opts['account']}")
        groups = SSOGroup.objects.filter(account=account, enabled=True).order_by("slug")
        if opts["group"]:
            group = SSOGroup.objects.filter(account=account, slug=opts["group"]).first()
            if group is None:
                raise CommandError(f"account {account.pk} has no SSO group {opts['group']!r}")
        elif len(groups) == 1:
            group = groups[0]
        else:
            slugs = ", ".join(g.slug for g in groups) or "none"
            raise CommandError(f"--group is required: account {account.pk} has these enabled SSO groups: {slugs}")
        try:
            _token, plaintext = scim_token_create(
                account=account, sso_group=group, label=opts["label"], created_by=None, actor="scim_token_create"
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(plaintext)
