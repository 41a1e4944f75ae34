"""python manage.py create_account --name N --admin-email E [--admin-password P] [--plan P]"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from accounts.users import account_create


def validation_message(error: ValidationError) -> str:
    """One line out of a (possibly nested) ValidationError."""
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(m for e in errs for m in e.messages)}" for field, errs in error.error_dict.items()
        )
    return " ".join(error.messages)


class Command(BaseCommand):
    help = "Create an account with its first admin user; prints JSON with account_id."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", default=None)
        parser.add_argument("--plan", default=Account.Plan.STARTER)

    def handle(self, *args, **opts):
        if opts["plan"] not in Account.Plan.values:
            raise CommandError(f"plan must be one of {', '.join(Account.Plan.values)} (got {opts['plan']!r})")
        if not opts["name"].strip():
            raise CommandError("name must not be empty")
        try:
            account, admin = account_create(
                name=opts["name"],
                admin_email=opts["admin_email"],
                admin_password=opts["admin_password"],
                plan=opts["plan"],
                actor="create_account",
            )
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from exc
        self.stdout.write(json.dumps({"account_id": account.pk, "admin_id": admin.pk, "admin_email": admin.email}))
