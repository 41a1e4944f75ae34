"""Users start..stop-1 (the same addresses as sparksso's benchmark users) and one bearer token, in bulk."""

import hashlib
import sys
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import CharField
from django.db.models.functions import Cast
from scim_peer.models import Token, User

sys.path.insert(0, str(Path(__file__).resolve().parents[5]))  # the repository root, for bench.names
from bench.names import person  # noqa: E402

BATCH = 2000


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--start", type=int, required=True)
        parser.add_argument("--stop", type=int, required=True)
        parser.add_argument("--token", default="")

    def handle(self, *args, start: int, stop: int, token: str, **options):
        unusable = make_password(None)
        for first in range(start, stop, BATCH):
            rows = []
            for n in range(first, min(stop, first + BATCH)):
                email, given, family = person(n)
                rows.append(
                    User(
                        username=email,
                        scim_username=email,
                        email=email,
                        first_name=given,
                        last_name=family,
                        password=unusable,
                    )  # fmt: skip
                )
            User.objects.bulk_create(rows)
        # What AbstractSCIMCommonAttributesMixin.save() does one row at a time.
        User.objects.filter(scim_id__isnull=True).update(scim_id=Cast("id", CharField()))
        if token:
            admin, _ = User.objects.get_or_create(username="scim-client", defaults={"password": unusable})
            Token.objects.get_or_create(digest=hashlib.sha256(token.encode()).hexdigest(), defaults={"user": admin})
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(str(User.objects.count()))
