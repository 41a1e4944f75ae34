"""SCIM tokens (each acts for one SSO group) and the SCIM groups an IdP pushes.

The tables keep the names they had when these models lived in accounts/ (moved by migrations
that change Django's state only: scim/migrations/0001 and accounts/migrations/0005).
"""

import uuid
from urllib.parse import unquote_plus

from django.db import models
from django.db.models.functions import Lower

from accounts.models import Account, User
from sparksso import clock

SCIM_BASE_PATH = "/api/v1/users/scim/v2"  # where sparksso/urls.py mounts the API (a stable URL)


class ScimToken(models.Model):
    """A SCIM bearer token: only its SHA-256 digest and a short visible prefix are stored."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="scim_tokens")
    sso_group = models.ForeignKey("ssogroups.SSOGroup", on_delete=models.CASCADE, related_name="scim_tokens")
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=clock.default_now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the one-time id of the settings form that minted it: a reload, resubmission or
    # double click of that form mints nothing more (the unique constraint decides races).
    form_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        db_table = "accounts_scimtoken"  # created by accounts before SCIM became its own app

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.label})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ScimGroup(models.Model):
    """A SCIM Group pushed by the IdP: a named set of users of the same account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="scim_groups")
    # The SSO group whose SCIM tokens manage this group; other groups' tokens never see it.
    sso_group = models.ForeignKey(
        "ssogroups.SSOGroup", on_delete=models.CASCADE, null=True, blank=True, related_name="scim_groups"
    )
    scim_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True)
    members = models.ManyToManyField(User, through="ScimGroupMembership", related_name="scim_groups")
    created_at = models.DateTimeField(default=clock.default_now)
    updated_at = models.DateTimeField(default=clock.default_now)

    class Meta:
        db_table = "accounts_scimgroup"
        indexes = [models.Index(Lower("display_name"), "account", name="accounts_scimgroup_name_ci")]

    def __str__(self) -> str:
        return self.display_name


class ScimGroupMembership(models.Model):
    group = models.ForeignKey(ScimGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="scim_memberships")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "accounts_scimgroupmembership"
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="accounts_scim_member_once")]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.user_id}"


class ScimRequestLog(models.Model):
    """One SCIM request and its answer, for the admin's "SCIM requests" tab (scim/request_log.py).

    No secrets: bodies pass scim.request_log_redact first, the Authorization header is never read.
    A request whose token was refused has no account and no group (the operator's, never a tenant's).
    """

    # "+": the tables below know nothing of this log (ssogroups and accounts are lower layers).
    account = models.ForeignKey(Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    sso_group = models.ForeignKey(
        "ssogroups.SSOGroup", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    time = models.DateTimeField(default=clock.default_now, db_index=True)
    request_id = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2048)  # path and query string, as sent
    status = models.PositiveSmallIntegerField()
    duration_ms = models.FloatField()
    token_prefix = models.CharField(max_length=16, blank=True)
    user_name = models.CharField(max_length=255, blank=True)  # the userName it was about, if any
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_headers = models.JSONField(default=dict, blank=True)  # an allow-list: never Authorization
    request_body = models.TextField(blank=True)
    request_note = models.CharField(max_length=255, blank=True)  # "Truncated: …", "not kept: …"
    response_body = models.TextField(blank=True)
    response_note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [
            models.Index(fields=["sso_group", "time"], name="scim_reqlog_group_time"),
            models.Index(fields=["account", "request_id"], name="scim_reqlog_request_id"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"

    @property
    def status_class(self) -> str:
        return f"{self.status // 100}xx"

    @property
    def scim_path(self) -> str:
        """The path under the SCIM base URL, the query decoded: what the admin reads (``/Users?filter=…``)."""
        path = self.path.removeprefix(SCIM_BASE_PATH)
        return unquote_plus(path) if "?" in path else path
