# The pending AuthnRequest is bound to the browser that started it (login CSRF), and
# relay_key goes: it was sent as RelayState but never read back. Requests pending at
# migration time get an empty browser_hash, which never matches, so they can no longer be answered.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ssogroups", "0002_verified_domains_scim_roles"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="pendingauthnrequest",
            name="relay_key",
        ),
        migrations.AddField(
            model_name="pendingauthnrequest",
            name="browser_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
    ]
