"""python manage.py ssogroups_refresh [--account ID]: re-read every URL-based group's metadata."""

from functools import partial

from django.core.exceptions import ValidationError

from ssogroups.fetch import MetadataFetchError
from ssogroups.intake import ssogroup_refresh
from ssogroups.management.batch import BatchCommand
from ssogroups.metadata import MetadataError
from ssogroups.models import SSOGroup
from ssogroups.trust import trust_change_get

ACTOR = "ssogroups_refresh"


class Command(BatchCommand):
    help = (
        "Refresh every SSO group that has a metadata URL. A failure keeps the old values, is saved on the "
        "group for its admin, and makes the command exit 1 after trying the rest."
    )

    failed_message = "{failed} of {total} group(s) could not be refreshed"

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, default=None, help="only this account's groups")
        parser.add_argument(
            "--approve", action="store_true", help="apply changes of trust at once instead of holding them"
        )

    def handle(self, *args, **opts):
        groups = SSOGroup.objects.exclude(idp_metadata_url="").select_related("account").order_by("account_id", "slug")
        if opts["account"] is not None:
            groups = groups.filter(account_id=opts["account"])
        self.run_each(list(groups), partial(_refresh, approve=opts["approve"]))


def _refresh(group: SSOGroup, *, approve: bool) -> tuple[bool, str]:
    label = f"{group.account_id}/{group.slug}"
    try:
        group = ssogroup_refresh(group=group, actor=ACTOR, approve=approve)
    except (MetadataError, MetadataFetchError) as exc:
        return False, f"{label}: failed: {' '.join(exc.message.split())}"
    except ValidationError as exc:
        return False, f"{label}: failed: {' '.join(' '.join(exc.messages).split())}"
    change = trust_change_get(group=group)
    if change is not None:  # not applied: the group keeps what it trusts until an admin approves
        held = [*change.values, *(["certificates"] if change.certificates_changed else [])]
        return True, f"{label}: refreshed; a change of {', '.join(held)} waits for approval ({change.version[:16]})"
    return True, f"{label}: refreshed"
