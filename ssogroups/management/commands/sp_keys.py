"""python manage.py sp_keys show | rotate | promote [--force] | retire [--id ID]

The operator's handle on the deployment's SP keys (ssogroups.sp_keys): ``rotate`` publishes a next
key beside the current one, ``promote`` makes it current after SP_KEY_ROLLOVER_DAYS, ``retire``
erases a previous key's private half. Each step is an event; a refused step exits 1 with one line.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from ssogroups import sp_key_rotation, sp_keys

ACTOR = "sp_keys"


def key_json(key) -> dict:
    """A key as the operator sees it: never the private half."""
    return {
        "id": key.id if isinstance(key, sp_keys.SPKeyPair) else key.pk,
        "state": key.state,
        "sha256_fingerprint": key.sha256_fingerprint,
        "not_after": key.not_after.isoformat(),
    }


class Command(BaseCommand):
    help = (
        "Show or rotate the SP key pairs: `show` (JSON), `rotate` (publish a next key), `promote` (next becomes "
        "current once published SP_KEY_ROLLOVER_DAYS; --force sooner), `retire` (previous keys stop decrypting)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("show", help="Print every key (state, fingerprint, expiry) as JSON.")
        sub.add_parser("rotate", help="Generate the next key; it is published in SP metadata from now on.")
        promote = sub.add_parser("promote", help="Make the next key current; the current one becomes previous.")
        promote.add_argument("--force", action="store_true", help="Promote before SP_KEY_ROLLOVER_DAYS have passed.")
        retire = sub.add_parser("retire", help="Erase the private half of previous keys (all, or --id).")
        retire.add_argument("--id", type=int, default=None, dest="key_id")

    def handle(self, *args, **opts):
        action = opts["action"]
        try:
            if action == "show":
                keys = [sp_keys.sp_key_current()] if sp_keys.sp_keys_from_files() else None
                if keys is None:
                    sp_keys.sp_key_current()  # a fresh deployment shows the key it will use
                    keys = sp_keys.sp_keys_list()
                body = {"from_files": sp_keys.sp_keys_from_files(), "keys": [key_json(k) for k in keys]}
            elif action == "rotate":
                body = {"rotated": key_json(sp_key_rotation.sp_key_rotate(actor=ACTOR))}
            elif action == "promote":
                body = {"promoted": key_json(sp_key_rotation.sp_key_promote(actor=ACTOR, force=opts["force"]))}
            else:
                body = {"retired": sp_key_rotation.sp_key_retire(actor=ACTOR, key_id=opts["key_id"])}
        except sp_keys.SPKeyError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(json.dumps(body))
