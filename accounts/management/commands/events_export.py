"""python manage.py events_export --account ID [--since ISO8601] [--until ISO8601] [--event NAME]
-> JSON Lines, oldest first, read a chunk of rows at a time."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from accounts.models import Account
from accounts.selectors import EXPORT_CHUNK_ROWS, event_as_dict, events_for_account, parse_moment


class Command(BaseCommand):
    help = "Print an account's events as JSON Lines, oldest first (since included, until excluded)."

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, type=int)
        parser.add_argument("--since", default=None)
        parser.add_argument("--until", default=None)
        parser.add_argument("--event", default=None)

    def handle(self, *args, **opts):
        account = Account.objects.filter(pk=opts["account"]).first()
        if account is None:
            raise CommandError(f"no account with id {opts['account']}")
        moments = {}
        for name in ("since", "until"):
            if opts[name]:
                try:
                    moments[name] = parse_moment(opts[name], name=name)
                except ValueError as exc:
                    raise CommandError(str(exc)) from exc
        events = events_for_account(account=account, event=opts["event"], **moments)
        for event in events.iterator(chunk_size=EXPORT_CHUNK_ROWS):
            self.stdout.write(json.dumps(event_as_dict(event), cls=DjangoJSONEncoder))
