# SCIM tokens and groups moved to the scim app. Only Django's state changes here: the
# tables keep their names (scim/models.py sets db_table) and their rows. scim/migrations/0001
# takes the models over.

import sparksso.clock
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_scim_users_groups'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name='scimgroup', name='members'),
                migrations.DeleteModel(name='ScimGroupMembership'),
                migrations.DeleteModel(name='ScimGroup'),
                migrations.DeleteModel(name='ScimToken'),
            ],
            database_operations=[],
        ),
        # Defaults read the clock at call time (sparksso.clock.default_now); no column changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='account', name='created_at',
                    field=models.DateTimeField(default=sparksso.clock.default_now),
                ),
                migrations.AlterField(
                    model_name='event', name='time', field=models.DateTimeField(default=sparksso.clock.default_now)
                ),
                migrations.AlterField(
                    model_name='user', name='created_at', field=models.DateTimeField(default=sparksso.clock.default_now)
                ),
                migrations.AlterField(
                    model_name='user', name='updated_at', field=models.DateTimeField(default=sparksso.clock.default_now)
                ),
                migrations.AlterField(
                    model_name='usersession', name='created_at',
                    field=models.DateTimeField(default=sparksso.clock.default_now),
                ),
            ],
            database_operations=[],
        ),
    ]
