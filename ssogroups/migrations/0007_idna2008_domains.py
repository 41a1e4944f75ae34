# Claimed domains re-folded with IDNA 2008 / UTS #46 non-transitional (issue 18 item 5). A claim
# whose stored form changes (or that IDNA 2008 refuses) is un-verified: its TXT record was proven at
# the old name. Each such claim gets an ``sso_domain_unverify`` event (reason ``idna2008``).
#
# The fold is written out here rather than imported: a migration keeps doing what it did when it
# was written, whatever accounts.identifiers.domain_to_ascii becomes.

import idna
from django.db import migrations
from django.utils import timezone

EVENT = "sso_domain_unverify"
REASON = "idna2008"
MSG_REFOLDED = (
    "This domain was stored in its IDNA 2003 form; IDNA 2008 names it {domain}. Publish the TXT record "
    "there and verify it again."
)
MSG_REFUSED = "IDNA 2008 does not allow this domain name; remove it from the group."


def _fold(domain: str) -> str | None:
    try:
        return idna.encode(domain.strip().rstrip("."), uts46=True, transitional=False, std3_rules=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


def refold(apps, schema_editor):
    SSODomain = apps.get_model("ssogroups", "SSODomain")
    Event = apps.get_model("accounts", "Event")
    for claim in SSODomain.objects.select_related("group").order_by("pk"):
        folded = _fold(claim.domain)
        if folded == claim.domain:
            continue
        old, was_verified = claim.domain, claim.verified_at is not None
        clash = folded is not None and (
            SSODomain.objects.filter(account_id=claim.account_id, domain=folded).exclude(pk=claim.pk).exists()
        )
        if folded is not None and not clash:
            claim.domain = folded
        claim.verified_at = None
        claim.check_error = MSG_REFUSED if folded is None else MSG_REFOLDED.format(domain=folded)
        claim.save(update_fields=["domain", "verified_at", "check_error"])
        Event.objects.create(
            account_id=claim.account_id,
            time=timezone.now(),
            event=EVENT,
            actor="migration",
            target=old,
            outcome="success",
            reason=REASON,
            changes={"group": claim.group.slug, "domain": [old, claim.domain], "was_verified": was_verified},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_user_list_order_index"),
        ("ssogroups", "0006_field_rules_on_the_model"),
    ]

    operations = [migrations.RunPython(refold, migrations.RunPython.noop)]
