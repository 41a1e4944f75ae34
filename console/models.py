"""The console's own rows: setup links (console/setup_links.py says what they are for)."""

from django.db import models

from accounts.models import Account, User
from ssogroups.models import SSOGroup


class SetupLink(models.Model):
    """A single-purpose link to set up one SSO group, for one person (bound to her email address).

    The link's token and the one-time code rest only as digests; ``public_id`` is not a secret (it names
    the link in URLs after the token was checked, and in events).
    """

    # related_name="+": lower layers never reach up to the console's rows.
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the token
    email = models.EmailField(max_length=254)
    allow_enable = models.BooleanField(default=False)
    allow_scim_tokens = models.BooleanField(default=False)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    code_digest = models.CharField(max_length=64, blank=True)  # HMAC of the current one-time code
    code_expires_at = models.DateTimeField(null=True, blank=True)
    session_digest = models.CharField(max_length=64, blank=True)  # SHA-256 of the confirmed browser's secret
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self) -> str:
        return f"setup link {self.public_id} ({self.email})"
