"""python manage.py ssogroups_refresh [--account ID]: re-read every URL-based group's metadata."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ssogroups.fetch import MetadataFetchError
from ssogroups.intake import ssogroup_refresh
from ssogroups.metadata import MetadataError
from ssogroups.models import SSOGroup

ACTOR = "ssogroups_refresh"


class Command(BaseCommand):
    help = (
        "Refresh every SSO group that has a metadata URL. A failure keeps the old values, is saved on the "
        "group for its admin, and makes the command exit 1 after trying the rest."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, default=None, help="only this account's groups")

    def handle(self, *args, **opts):
        groups = SSOGroup.objects.exclude(idp_metadata_url="").select_related("account").order_by("account_id", "slug")
        if opts["account"] is not None:
            groups = groups.filter(account_id=opts["account"])
        failed = 0
        for group in groups:
            label = f"{group.account_id}/{group.slug}"
            try:
                ssogroup_refresh(group=group, actor=ACTOR)
            except (MetadataError, MetadataFetchError) as exc:
                failed += 1
                self.stderr.write(f"{label}: failed: {' '.join(exc.message.split())}")
            except ValidationError as exc:
                failed += 1
                self.stderr.write(f"{label}: failed: {' '.join(' '.join(exc.messages).split())}")
            else:
                self.stdout.write(f"{label}: refreshed")
        if failed:
            raise CommandError(f"{failed} of {len(groups)} group(s) could not be refreshed")
