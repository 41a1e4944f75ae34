"""Hand an existing unmanaged user to an SSO group (or back with --unbind). One line out, one on error."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.selectors import email_is, username_is
from ssogroups.managed import user_bind, user_unbind
from ssogroups.models import SSOGroup


class Command(BaseCommand):
    help = "Bind a user of an account to one of its SSO groups (her password stops working), or --unbind."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--account", type=int, required=True)
        parser.add_argument("--user", required=True, help="username or email")
        parser.add_argument("--group", help="the SSO group's ID (slug)")
        parser.add_argument("--unbind", action="store_true")

    def handle(self, *args, **opts) -> None:
        if bool(opts["group"]) == opts["unbind"]:
            raise CommandError("Give exactly one of --group SLUG or --unbind.")
        # Scoped to the given account: another account's users and groups are not found.
        users = list(
            User.objects.filter(account_id=opts["account"])
            .filter(username_is(opts["user"]) | email_is(opts["user"]))
            .select_related("account", "sso_group")[:2]
        )
        if len(users) != 1:
            raise CommandError(f"No single user {opts['user']!r} in account {opts['account']}.")
        user = users[0]
        try:
            if opts["unbind"]:
                user = user_unbind(user=user, actor="ssogroup_bind_user")
            else:
                group = SSOGroup.objects.filter(account_id=opts["account"], slug=opts["group"]).first()
                if group is None:
                    raise CommandError(f"No SSO group {opts['group']!r} in account {opts['account']}.")
                user = user_bind(user=user, group=group, actor="ssogroup_bind_user")
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(json.dumps({"username": user.username, "sso_group": getattr(user.sso_group, "slug", None)}))
