"""python manage.py ssogroup_update --account ID --group SLUG [changes] [--approve]

The operator's way to change a group, through the same gate as the pages (ssogroups.trust): a change
of trust on an enabled group is held for approval and evented unless --approve is given; a waiting
change is decided with --approve-pending / --reject-pending VERSION (the version the page shows).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ssogroups.intake import (
    IDENTIFY_BY_ATTRIBUTE,
    IDENTIFY_BY_NAME_ID,
    identity_attribute_value,
    metadata_load,
    ssogroup_values,
)
from ssogroups.management.commands.ssogroup_import import ssogroup_json
from ssogroups.management.intake_errors import intake_errors
from ssogroups.metadata import MAX_METADATA_BYTES, certificates_parse
from ssogroups.models import SSOGroup
from ssogroups.trust import (
    Authority,
    ssogroup_change,
    trust_change_approve,
    trust_change_get,
    trust_change_reject,
)

ACTOR = "ssogroup_update"
MAX_CERT_BYTES = 64 * 1024


def _read(path: str, limit: int) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"file not found: {path}")
    with file.open("rb") as fh:
        return fh.read(limit + 1)


def _switch(parser, name: str, help_text: str) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(f"--{name}", dest=name.replace("-", "_"), action="store_true", default=None, help=help_text)
    group.add_argument(f"--no-{name}", dest=name.replace("-", "_"), action="store_false")


def change_json(group: SSOGroup) -> dict | None:
    change = trust_change_get(group=group)
    if change is None:
        return None
    certificates = [c.sha256_fingerprint for c in group.pending_certificates.order_by("not_after", "pk")]
    return {
        "version": change.version,
        "values": change.values,
        "certificates": certificates if change.certificates_changed else None,
    }


class Command(BaseCommand):
    help = "Change an SSO group; changes of trust on an enabled group wait for approval unless --approve."

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, type=int)
        parser.add_argument("--group", required=True, help="the group's ID (slug)")
        parser.add_argument("--name")
        parser.add_argument("--metadata", help="a metadata file path or an http(s) URL")
        parser.add_argument("--sso-url", help="the SAML 2.0 Endpoint; wins over the metadata's")
        parser.add_argument("--entity-id", help="the IdP entity ID; wins over the metadata's")
        parser.add_argument("--certificate", help="a PEM file; wins over the metadata's certificates")
        identify = parser.add_mutually_exclusive_group()
        identify.add_argument(
            "--identify-by-attribute", metavar="NAME", help="identify users by this attribute (e.g. mail)"
        )
        identify.add_argument(
            "--identify-by-name-id", action="store_true", help="identify users by the NameID (an email address)"
        )
        _switch(parser, "enable", "enable (--no-enable: disable) the group")
        _switch(parser, "idp-initiated", "allow IdP-initiated sign-in")
        _switch(parser, "jit", "create users on first sign-in")
        _switch(parser, "adopt", "adopt existing users of verified domains")
        _switch(parser, "sign-requests", "sign AuthnRequests even when the IdP's metadata does not ask")
        parser.add_argument("--default-role")
        parser.add_argument("--scim-roles", help="comma-separated roles SCIM tokens may assign")
        decide = parser.add_mutually_exclusive_group()
        decide.add_argument("--approve", action="store_true", help="apply a change of trust at once")
        decide.add_argument("--approve-pending", metavar="VERSION", help="approve the waiting change of VERSION")
        decide.add_argument("--reject-pending", metavar="VERSION", help="reject the waiting change of VERSION")

    def handle(self, *args, **opts):
        # Scoped to the account: a slug names a group only within it.
        group = SSOGroup.objects.filter(account_id=opts["account"], slug=opts["group"]).first()
        if group is None:
            raise CommandError(f"no SSO group {opts['group']!r} in account {opts['account']}")
        with intake_errors(reading="a file"):
            if opts["approve_pending"] or opts["reject_pending"]:
                decide = trust_change_approve if opts["approve_pending"] else trust_change_reject
                decide(group=group, version=opts["approve_pending"] or opts["reject_pending"], actor=ACTOR)
            else:
                group = ssogroup_change(
                    group=group,
                    authority=Authority.OPERATOR,
                    actor=ACTOR,
                    approve=opts["approve"],
                    source="command",
                    **self._values(opts),
                )
        group = SSOGroup.objects.get(pk=group.pk)
        self.stdout.write(
            json.dumps({**ssogroup_json(group), "enabled": group.enabled, "trust_change": change_json(group)})
        )

    def _values(self, opts) -> dict:
        source = None
        if opts["metadata"]:
            given = opts["metadata"]
            if given.lower().startswith(("http://", "https://")):
                source = metadata_load(url=given)
            else:
                source = metadata_load(xml=_read(given, MAX_METADATA_BYTES))
        certificates = None
        if opts["certificate"]:
            certificates = certificates_parse(_read(opts["certificate"], MAX_CERT_BYTES).decode("ascii", "replace"))
        values = ssogroup_values(
            source=source, entity_id=opts["entity_id"], sso_url=opts["sso_url"], certificates=certificates
        )
        identify_by = IDENTIFY_BY_NAME_ID if opts["identify_by_name_id"] else ""
        if opts["identify_by_attribute"] is not None:
            identify_by = IDENTIFY_BY_ATTRIBUTE
        attribute = identity_attribute_value(identify_by=identify_by, attribute=opts["identify_by_attribute"] or "")
        policy = {
            "name": opts["name"],
            "enabled": opts["enable"],
            "allow_idp_initiated": opts["idp_initiated"],
            "jit_provisioning": opts["jit"],
            "adopt_existing_users": opts["adopt"],
            "sign_authn_requests": opts["sign_requests"],
            "default_role": opts["default_role"],
            "scim_roles": [r for r in opts["scim_roles"].split(",") if r] if opts["scim_roles"] is not None else None,
        }
        policy["identity_attribute"] = attribute
        return values | {k: v for k, v in policy.items() if v is not None}
