import django.db.models.deletion
from django.db import migrations, models


def install(apps, schema_editor):
    # Triggers and the first count (ssogroups/user_counts.py): every existing group counted once.
    from ssogroups.user_counts import user_counts_install

    user_counts_install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from ssogroups.user_counts import user_counts_uninstall

    user_counts_uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_idna2008_identifiers'),
        ('ssogroups', '0010_spent_requests'),
    ]

    operations = [
        migrations.CreateModel(
            name='SSOGroupUserCount',
            fields=[
                ('sso_group', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='ssogroups.ssogroup')),
                ('users', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(install, uninstall),
    ]
