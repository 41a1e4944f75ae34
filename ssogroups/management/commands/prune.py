"""python manage.py prune [--batch-size N]: retention, run from a timer (README: Retention)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from sparksso import clock
from sparksso.db import planner_statistics_refresh
from ssogroups.retention import DEFAULT_BATCH_SIZE, retention_prune


class Command(BaseCommand):
    help = (
        "Delete expired pending AuthnRequests, replay records and failure counters, SSO sign-in failures older than "
        "SSO_LOGIN_FAILURE_RETENTION_DAYS and events older than EVENT_RETENTION_DAYS, in batches; "
        "on SQLite, then refresh the query planner's statistics (ANALYZE). Prints one JSON line with the counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="rows per DELETE")

    def handle(self, *args, **opts):
        if opts["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        counts = retention_prune(now=clock.now(), batch_size=opts["batch_size"])
        statistics = planner_statistics_refresh(connection)
        self.stdout.write(json.dumps({**counts, "planner_statistics_refreshed": statistics}, sort_keys=True))
