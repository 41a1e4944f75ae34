"""python manage.py ssogroup_import --account ID --name N [--slug S] --metadata FILE_OR_URL
[--no-idp-initiated] [--enable] [--identify-by-attribute NAME]"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from ssogroups.intake import (
    IDENTIFY_BY_ATTRIBUTE,
    IDENTIFY_BY_NAME_ID,
    identity_attribute_value,
    metadata_load,
    ssogroup_create_from_metadata,
)
from ssogroups.management.intake_errors import intake_errors, one_line
from ssogroups.metadata import MAX_METADATA_BYTES
from ssogroups.models import SSOGroup
from ssogroups.slugs import slug_choose

ACTOR = "ssogroup_import"


def ssogroup_json(group: SSOGroup) -> dict:
    return {
        "id": group.pk,
        "slug": group.slug,
        "sp_entity_id": group.sp_entity_id,
        "acs_url": group.acs_url,
        "login_url": group.login_url,
        "metadata_url": group.sp_metadata_url,
        "idp_entity_id": group.idp_entity_id,
        "sso_url": group.sso_url,
        "certificates": [
            {"sha256_fingerprint": c.sha256_fingerprint, "not_after": c.not_after.isoformat().replace("+00:00", "Z")}
            for c in group.certificates.order_by("not_after", "id")
        ],
    }


class Command(BaseCommand):
    help = "Create an SSO group from IdP metadata (a file or an http(s) URL); prints the SP values as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, type=int)
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", default=None, help="defaults to one made from the name, unique in the account")
        parser.add_argument("--metadata", required=True, help="a metadata file path or an http(s) URL")
        parser.add_argument("--no-idp-initiated", action="store_true", help="refuse IdP-initiated sign-in")
        parser.add_argument(
            "--enable", action="store_true", help="enable the group at once (needs a valid certificate)"
        )
        parser.add_argument(
            "--identify-by-attribute",
            metavar="NAME",
            help="identify users by this attribute (e.g. mail) instead of the NameID",
        )

    def handle(self, *args, **opts):
        try:
            account = Account.objects.get(pk=opts["account"])
        except Account.DoesNotExist as exc:
            raise CommandError(f"no account with id {opts['account']}") from exc
        slug = slug_choose(account=account, given=opts["slug"] or "", name=opts["name"])
        source = opts["metadata"]
        attribute = opts["identify_by_attribute"]
        with intake_errors(reading=source):
            identify_by = IDENTIFY_BY_NAME_ID if attribute is None else IDENTIFY_BY_ATTRIBUTE
            identity_attribute = identity_attribute_value(identify_by=identify_by, attribute=attribute or "")
            if source.lower().startswith(("http://", "https://")):
                loaded = metadata_load(url=source)
            else:
                path = Path(source)
                if not path.is_file():
                    raise CommandError(f"metadata file not found: {source}")
                with path.open("rb") as fh:
                    data = fh.read(MAX_METADATA_BYTES + 1)
                loaded = metadata_load(xml=data)
            group = ssogroup_create_from_metadata(
                account=account,
                name=opts["name"],
                slug=slug,
                source=loaded,
                actor=ACTOR,
                allow_idp_initiated=not opts["no_idp_initiated"],
                enable=opts["enable"],
                identity_attribute=identity_attribute,
            )
        for warning in group.metadata_warnings:
            self.stderr.write(f"warning: {one_line(warning)}")
        self.stdout.write(json.dumps(ssogroup_json(group)))
