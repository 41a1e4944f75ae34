"""Accounts (tenants), their users and their sessions and emails, and the append-only event record."""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower

from sparksso import clock


class Account(models.Model):
    class Plan(models.TextChoices):
        STARTER = "starter", "Starter"
        PREMIER = "premier", "Premier"
        ENTERPRISE = "enterprise", "Enterprise"

    name = models.CharField(max_length=200)
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.STARTER)
    created_at = models.DateTimeField(default=clock.default_now)

    def __str__(self) -> str:
        return f"{self.name} ({self.pk})"

    @property
    def has_sso(self) -> bool:
        """SSO groups and SCIM are premier/enterprise features."""
        return self.plan in (self.Plan.PREMIER, self.Plan.ENTERPRISE)


class UserManager(BaseUserManager):
    """Users are created through accounts.users.user_create; this manager only serves Django."""

    def get_by_natural_key(self, username):  # pragma: no cover - the backend never calls it
        raise self.model.DoesNotExist("usernames are only unique within an account")


class User(AbstractBaseUser):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        DEVELOPER = "developer", "Developer"
        TEMPLATES = "templates", "Templates"
        REPORTING = "reporting", "Reporting"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="users")
    username = models.CharField(max_length=150)
    email = models.EmailField(max_length=254, blank=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REPORTING)
    sso_group = models.ForeignKey(
        "ssogroups.SSOGroup", on_delete=models.SET_NULL, null=True, blank=True, related_name="users"
    )
    external_id = models.CharField(max_length=255, blank=True)
    # SCIM: the stable, never-reassigned resource id (an autoincrement pk can be reused on SQLite).
    scim_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=255, blank=True)
    # Every SCIM attribute that has no column of its own (nickName, phoneNumbers, the enterprise
    # extension, …), stored as sent so it is returned as sent: never silently dropped.
    scim_attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.default_now)
    updated_at = models.DateTimeField(default=clock.default_now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            # SCIM userName is caseExact=false: "Alice" and "alice" are one name within an account.
            models.UniqueConstraint(
                Lower("username"),
                "account",
                name="accounts_user_username_ci_per_account",
                violation_error_code="username_taken",
                violation_error_message="A user with that username already exists in this account.",
            ),
        ]
        indexes = [
            models.Index(Lower("email"), "account", name="accounts_user_email_ci"),
            # SCIM list pages are ORDER BY created_at, id among one SSO group's users (scim.users.users_of):
            # with this index a page's keys are read in order from the index alone, never sorting the
            # account nor reading the rows it skips (docs/performance.md).
            models.Index(fields=["account", "sso_group", "created_at", "id"], name="accounts_user_list_order"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class UserSession(models.Model):
    """The session keys a user holds, so deactivation can end every one of them at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=64, unique=True)
    auth_method = models.CharField(max_length=20, default="password")
    created_at = models.DateTimeField(default=clock.default_now)

    def __str__(self) -> str:
        return f"{self.user_id}:{self.auth_method}"


class Event(models.Model):
    """Append-only audit record, scoped to an account. Never holds secrets."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    time = models.DateTimeField(default=clock.default_now)
    event = models.CharField(max_length=64)
    actor = models.CharField(max_length=255, blank=True)
    target = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    reason = models.CharField(max_length=500, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["time", "id"]
        indexes = [
            models.Index(fields=["account", "time"], name="accounts_event_account_time"),
            models.Index(fields=["account", "event", "time"], name="accounts_event_account_name"),
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%dT%H:%M:%SZ} {self.event} {self.outcome}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("events are append-only")


class UserEmail(models.Model):
    """One of a user's SCIM ``emails`` values; rows (not JSON) so filters on them use an index."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="emails")
    position = models.PositiveSmallIntegerField(default=0)
    value = models.CharField(max_length=254)
    type = models.CharField(max_length=50, blank=True)
    primary = models.BooleanField(null=True, blank=True)  # unassigned (None) is kept apart from False
    display = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(Lower("value"), name="accounts_useremail_value_ci")]

    def __str__(self) -> str:
        return self.value
