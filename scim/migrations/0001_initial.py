# Takes over ScimToken, ScimGroup and ScimGroupMembership from accounts (state only: same tables,
# same rows), then scopes SCIM groups to the SSO group whose tokens manage them.

import django.db.models.deletion
import django.db.models.functions.text
import sparksso.clock
import uuid
from django.conf import settings
from django.db import migrations, models


def scope_existing_groups(apps, schema_editor):
    """A SCIM group so far belonged to an account; give it that account's SSO group when there is
    exactly one (the only group whose tokens could have pushed it). Otherwise it stays unscoped and
    no token sees it until an admin re-pushes it."""
    ScimGroup = apps.get_model("scim", "ScimGroup")
    SSOGroup = apps.get_model("ssogroups", "SSOGroup")
    for account_id in ScimGroup.objects.values_list("account_id", flat=True).distinct():
        sso_groups = list(SSOGroup.objects.filter(account_id=account_id).values_list("pk", flat=True)[:2])
        if len(sso_groups) == 1:
            ScimGroup.objects.filter(account_id=account_id).update(sso_group_id=sso_groups[0])


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0005_scim_models_moved_to_scim'),
        ('ssogroups', '0002_verified_domains_scim_roles'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ScimToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('label', models.CharField(blank=True, max_length=100)),
                        ('prefix', models.CharField(max_length=16)),
                        ('digest', models.CharField(max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(default=sparksso.clock.default_now)),
                        ('last_used_at', models.DateTimeField(blank=True, null=True)),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='scim_tokens', to='accounts.account')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('sso_group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='scim_tokens', to='ssogroups.ssogroup')),
                    ],
                    options={'db_table': 'accounts_scimtoken'},
                ),
                migrations.CreateModel(
                    name='ScimGroup',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('scim_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('display_name', models.CharField(max_length=255)),
                        ('external_id', models.CharField(blank=True, max_length=255)),
                        ('created_at', models.DateTimeField(default=sparksso.clock.default_now)),
                        ('updated_at', models.DateTimeField(default=sparksso.clock.default_now)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='scim_groups', to='accounts.account')),
                    ],
                    options={
                        'db_table': 'accounts_scimgroup',
                        'indexes': [models.Index(django.db.models.functions.text.Lower('display_name'), models.F('account'), name='accounts_scimgroup_name_ci')],
                    },
                ),
                migrations.CreateModel(
                    name='ScimGroupMembership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveIntegerField(default=0)),
                        ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='scim.scimgroup')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='scim_memberships', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'accounts_scimgroupmembership',
                        'ordering': ['position', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('group', 'user'), name='accounts_scim_member_once')],
                    },
                ),
                migrations.AddField(
                    model_name='scimgroup',
                    name='members',
                    field=models.ManyToManyField(related_name='scim_groups', through='scim.ScimGroupMembership', to=settings.AUTH_USER_MODEL),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name='scimgroup',
            name='sso_group',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='scim_groups', to='ssogroups.ssogroup'),
        ),
        migrations.RunPython(scope_existing_groups, migrations.RunPython.noop),
    ]
