"""python manage.py scim_request_log (--refused | --account ID) [--since ISO8601]
-> the SCIM request log as JSON Lines, oldest first: the operator's view, and the only one of the
requests whose token was refused (they belong to no account, so no admin page shows them)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from accounts.selectors import parse_moment
from scim.models import ScimRequestLog

FIELDS = ("time", "request_id", "method", "path", "status", "duration_ms", "token_prefix", "user_name", "ip",
          "request_note", "response_note", "response_body")  # fmt: skip


class Command(BaseCommand):
    help = "Print SCIM request log rows as JSON Lines: --refused (refused tokens, no account) or --account ID."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--refused", action="store_true", help="requests whose token was refused (no account)")
        which.add_argument("--account", type=int, help="one account's requests")
        parser.add_argument("--since", default=None, help="ISO 8601 with a zone (included)")

    def handle(self, *args, **opts):
        rows = ScimRequestLog.objects.order_by("time", "id")
        rows = rows.filter(account__isnull=True) if opts["refused"] else rows.filter(account_id=opts["account"])
        if opts["since"]:
            try:
                rows = rows.filter(time__gte=parse_moment(opts["since"], name="since"))
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        for row in rows.values(*FIELDS, "sso_group__slug").iterator(chunk_size=500):
            row["group"] = row.pop("sso_group__slug")
            self.stdout.write(json.dumps(row, cls=DjangoJSONEncoder))
