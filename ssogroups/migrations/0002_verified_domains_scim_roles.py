# Authority and names: the IdP's metadata URL gets a name that cannot be confused
# with ours; SCIM roles and adoption become per-group policy; domain claims need DNS proof.

import secrets

import django.db.models.deletion
import sparksso.clock
import ssogroups.models
from django.db import migrations, models


def claims_unverified(apps, schema_editor):
    """Existing claims were never proven: they keep their group but route nothing until verified."""
    SSODomain = apps.get_model("ssogroups", "SSODomain")
    for claim in SSODomain.objects.select_related("group"):
        claim.account_id = claim.group.account_id
        claim.verification_token = secrets.token_urlsafe(24)
        claim.save(update_fields=["account", "verification_token"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_scim_users_groups'),
        ('ssogroups', '0001_initial'),
    ]

    operations = [
        migrations.RenameField(model_name='ssogroup', old_name='metadata_url', new_name='idp_metadata_url'),
        migrations.AddField(
            model_name='ssogroup',
            name='scim_roles',
            field=models.JSONField(blank=True, default=ssogroups.models.scim_roles_default),
        ),
        migrations.AddField(
            model_name='ssogroup',
            name='adopt_existing_users',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='ssodomain',
            name='account',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='sso_domains', to='accounts.account'),
        ),
        migrations.AddField(
            model_name='ssodomain', name='verification_token', field=models.CharField(default='', max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(model_name='ssodomain', name='verified_at', field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name='ssodomain', name='checked_at', field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(
            model_name='ssodomain', name='check_error', field=models.CharField(blank=True, max_length=500)
        ),
        migrations.RunPython(claims_unverified, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='ssodomain',
            name='account',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sso_domains', to='accounts.account'),
        ),
        migrations.AlterField(model_name='ssodomain', name='domain', field=models.CharField(max_length=253)),
        migrations.AddConstraint(
            model_name='ssodomain',
            constraint=models.UniqueConstraint(fields=('account', 'domain'), name='ssogroups_domain_once_per_account'),
        ),
        migrations.AddConstraint(
            model_name='ssodomain',
            constraint=models.UniqueConstraint(condition=models.Q(('verified_at__isnull', False)), fields=('domain',), name='ssogroups_domain_verified_once'),
        ),
        # Defaults read the clock at call time (sparksso.clock.default_now); no column changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name=m, name=f, field=models.DateTimeField(default=sparksso.clock.default_now))
                for m, f in [
                    ('consumedassertion', 'consumed_at'),
                    ('pendingauthnrequest', 'created_at'),
                    ('ssocertificate', 'created_at'),
                    ('ssogroup', 'created_at'),
                    ('ssogroup', 'updated_at'),
                ]
            ]
            + [
                migrations.AlterField(
                    model_name='ssologinfailure', name='time',
                    field=models.DateTimeField(db_index=True, default=sparksso.clock.default_now),
                )
            ],
            database_operations=[],
        ),
    ]
