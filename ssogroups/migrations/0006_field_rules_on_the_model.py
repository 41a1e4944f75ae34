# Field rules (validators, choices, messages) moved onto SSOGroup and SSODomain. No column changes:
# state only, so SQLite does not rebuild the table for the new field classes.

import ssogroups.domains
import ssogroups.models
import ssogroups.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ssogroups', '0005_issuer_pin_test_signin'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='ssodomain',
                    name='domain',
                    field=models.CharField(max_length=253, validators=[ssogroups.domains.validate_claimable_domain]),
                ),
                migrations.AlterField(
                    model_name='ssogroup',
                    name='default_role',
                    field=models.CharField(choices=[('admin', 'Admin'), ('developer', 'Developer'), ('templates', 'Templates'), ('reporting', 'Reporting')], default='reporting', error_messages={'blank': 'Choose one of the roles: admin, developer, templates, reporting.', 'invalid_choice': 'Choose one of the roles: admin, developer, templates, reporting.'}, max_length=20),
                ),
                migrations.AlterField(
                    model_name='ssogroup',
                    name='idp_entity_id',
                    field=models.CharField(blank=True, error_messages={'max_length': 'The IdP entity ID is longer than 1024 characters.'}, max_length=1024),
                ),
                migrations.AlterField(
                    model_name='ssogroup',
                    name='idp_metadata_url',
                    field=ssogroups.models.HttpURLField(blank=True, max_length=2048),
                ),
                migrations.AlterField(
                    model_name='ssogroup',
                    name='name',
                    field=models.CharField(error_messages={'blank': 'Give the group a name.'}, max_length=200, validators=[ssogroups.validators.validate_not_blank]),
                ),
                migrations.AlterField(
                    model_name='ssogroup',
                    name='scim_roles',
                    field=models.JSONField(blank=True, default=ssogroups.models.scim_roles_default, validators=[ssogroups.validators.validate_scim_roles]),
                ),
                migrations.AlterField(
                    model_name='ssogroup',
                    name='signature_requirement',
                    field=models.CharField(choices=[('either', 'Assertion or response signed'), ('assertion', 'Assertion signed'), ('response', 'Response signed'), ('both', 'Assertion and response signed')], default='either', error_messages={'blank': 'Choose a valid signature requirement.', 'invalid_choice': 'Choose a valid signature requirement.'}, max_length=20),
                ),
                migrations.AlterField(
                    model_name='ssogroup',
                    name='slo_url',
                    field=ssogroups.models.HttpURLField(blank=True, max_length=2048),
                ),
                migrations.AlterField(
                    model_name='ssogroup',
                    name='slug',
                    field=ssogroups.models.GroupSlugField(error_messages={'blank': 'Use only lowercase letters, digits, hyphens and underscores (it becomes part of URLs).'}, max_length=64),
                ),
                migrations.AlterField(
                    model_name='ssogroup',
                    name='sso_url',
                    field=ssogroups.models.HttpURLField(blank=True, error_messages={'invalid': 'The SAML 2.0 Endpoint must be an http(s) URL.'}, max_length=2048),
                ),
            ],
        ),
    ]
