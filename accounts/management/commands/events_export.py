"""python manage.py events_export --account ID [--since ISO8601] [--event NAME] -> JSON Lines, oldest first."""

import json

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from accounts.selectors import event_as_dict, events_for_account, parse_since


class Command(BaseCommand):
    help = "Print an account's events as JSON Lines, oldest first."

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, type=int)
        parser.add_argument("--since", default=None)
        parser.add_argument("--event", default=None)

    def handle(self, *args, **opts):
        account = Account.objects.filter(pk=opts["account"]).first()
        if account is None:
            raise CommandError(f"no account with id {opts['account']}")
        since = None
        if opts["since"]:
            try:
                since = parse_since(opts["since"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        for event in events_for_account(account=account, since=since, event=opts["event"]).iterator():
            self.stdout.write(json.dumps(event_as_dict(event), sort_keys=False))
