"""Create the demo account for `make run` once; re-running keeps the data."""

import os
import secrets

from django.core.management.base import BaseCommand

from accounts.models import Account, User
from accounts.users import account_create

DEMO_NAME = "Demo"
DEMO_ADMIN = "admin@example.com"


class Command(BaseCommand):
    help = "Create the Demo account (enterprise) with admin admin@example.com, unless it exists."

    def handle(self, *args, **opts):
        existing = User.objects.filter(account__name=DEMO_NAME, username__iexact=DEMO_ADMIN).first()
        if existing:
            self.stdout.write(
                f"Demo account {existing.account_id} exists; sign in as {DEMO_ADMIN} "
                "with the password printed when it was created (or set DEMO_ADMIN_PASSWORD and run "
                "`python manage.py demo_setup --reset-password`)."
            )
            if opts["reset_password"] and os.environ.get("DEMO_ADMIN_PASSWORD"):
                existing.set_password(os.environ["DEMO_ADMIN_PASSWORD"])
                existing.save(update_fields=["password"])
                self.stdout.write("Demo admin password reset from DEMO_ADMIN_PASSWORD.")
            return
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        account, _admin = account_create(
            name=DEMO_NAME,
            admin_email=DEMO_ADMIN,
            admin_password=password,
            plan=Account.Plan.ENTERPRISE,
            actor="demo_setup",
        )
        self.stdout.write(
            f"Created demo account {account.pk}.\n  Sign in at the URL below as {DEMO_ADMIN}\n  password: {password}\n"
            "  (shown once; keep it)"
        )

    def add_arguments(self, parser):
        parser.add_argument("--reset-password", action="store_true")
