import hashlib
import json

import django.db.models.deletion
from django.db import migrations, models

import sparksso.clock


def pending_certificates_to_trust_changes(apps, schema_editor):
    """A certificate proposal made before this migration becomes a change of trust (same version recipe
    as ssogroups.trust.trust_version), so it still waits for approval."""
    SSOPendingCertificate = apps.get_model("ssogroups", "SSOPendingCertificate")
    SSOTrustChange = apps.get_model("ssogroups", "SSOTrustChange")
    group_ids = SSOPendingCertificate.objects.values_list("group_id", flat=True).distinct()
    for group_id in group_ids:
        fingerprints = sorted(
            SSOPendingCertificate.objects.filter(group_id=group_id).values_list("sha256_fingerprint", flat=True)
        )
        body = {"values": {}, "certificates": fingerprints}
        version = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
        SSOTrustChange.objects.create(
            group_id=group_id,
            certificates_changed=True,
            version=version,
            source="refresh",
            proposed_by="ssogroups_refresh",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("ssogroups", "0007_idna2008_domains"),
    ]

    operations = [
        migrations.CreateModel(
            name="SSOTrustChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("values", models.JSONField(blank=True, default=dict)),
                ("certificates_changed", models.BooleanField(default=False)),
                ("metadata_xml", models.TextField(blank=True)),
                ("version", models.CharField(max_length=64)),
                ("source", models.CharField(max_length=40)),
                ("proposed_by", models.CharField(max_length=150)),
                ("proposed_at", models.DateTimeField(default=sparksso.clock.default_now)),
                (
                    "group",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="trust_change",
                        to="ssogroups.ssogroup",
                    ),
                ),
            ],
        ),
        migrations.RunPython(pending_certificates_to_trust_changes, migrations.RunPython.noop),
    ]
