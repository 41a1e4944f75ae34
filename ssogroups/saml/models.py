"""The server-side state of SAML sign-in and logout: requests we sent, assertions consumed, refusals,
our own SP keys, the NameID/SessionIndex kept with each SSO session, and each attempt's trace."""

from django.db import models

from accounts.models import User
from sparksso import clock
from ssogroups.models import SSOGroup


class PendingAuthnRequest(models.Model):
    """An AuthnRequest we sent and have not yet seen answered; consumed by the ACS."""

    request_id = models.CharField(max_length=100, unique=True)
    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="pending_requests")
    # SHA-256 (hex) of the secret in the starting browser's sparksso_authn cookie (login CSRF).
    browser_hash = models.CharField(max_length=64)
    next_path = models.CharField(max_length=2048, blank=True)
    # Started by an admin's "Test sign-in": the ACS shows a report and signs nobody in.
    is_test = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.default_now)
    expires_at = models.DateTimeField(db_index=True)
    # When a response answered it. A spent row stays (its expiry moved to the answer's own) so that the
    # same response posted again is named a replay, not an unknown request; ``prune`` deletes it after.
    spent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.request_id


class ConsumedAssertion(models.Model):
    """Assertion IDs already accepted; the unique constraint makes each one single-use."""

    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="consumed_assertions")
    assertion_id = models.CharField(max_length=256)
    not_on_or_after = models.DateTimeField(db_index=True)
    consumed_at = models.DateTimeField(default=clock.default_now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "assertion_id"], name="ssogroups_assertion_single_use"),
        ]

    def __str__(self) -> str:
        return self.assertion_id


class SSOLoginFailure(models.Model):
    """A failed sign-in with its precise reason, for the admin's per-group diagnostics."""

    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="login_failures")
    time = models.DateTimeField(default=clock.default_now, db_index=True)
    reference = models.CharField(max_length=32, db_index=True)
    reason = models.CharField(max_length=64)
    detail = models.CharField(max_length=1000, blank=True)
    issuer = models.CharField(max_length=1024, blank=True)
    name_id = models.CharField(max_length=512, blank=True)
    name_id_format = models.CharField(max_length=255, blank=True)  # as claimed, like name_id
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-time", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.reason}"


class SPKey(models.Model):
    """One of the deployment's own SP key pairs (ssogroups.sp_keys): signs AuthnRequests, decrypts assertions.

    The private key rests encrypted (AES-GCM, key derived from SECRET_KEY); a retired key keeps only
    its certificate. At most one key is current and one is next (the constraints make a race lose).
    """

    class State(models.TextChoices):
        NEXT = "next", "Next"
        CURRENT = "current", "Current"
        PREVIOUS = "previous", "Previous"
        RETIRED = "retired", "Retired"

    state = models.CharField(max_length=10, choices=State.choices)
    private_key_encrypted = models.TextField(blank=True)
    certificate_pem = models.TextField()
    sha256_fingerprint = models.CharField(max_length=95)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    created_at = models.DateTimeField(default=clock.default_now)
    promoted_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["state"], condition=models.Q(state="current"), name="ssogroups_one_current_sp_key"
            ),
            models.UniqueConstraint(
                fields=["state"], condition=models.Q(state="next"), name="ssogroups_one_next_sp_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.sha256_fingerprint[:23]}"


class SSOSession(models.Model):
    """The NameID and SessionIndex of a sign-in's assertion, kept with the session it opened: Single
    Logout repeats them in our LogoutRequest and matches an IdP's LogoutRequest against them.

    Cascades from the session's tracking row (accounts.UserSession), so it goes whenever the session
    ends (sign-out, deactivation, a disabled group); ``prune`` deletes the rows of expired sessions.
    """

    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="sso_sessions")
    user_session = models.OneToOneField(
        "accounts.UserSession", to_field="session_key", on_delete=models.CASCADE, related_name="+"
    )
    name_id = models.CharField(max_length=512)
    name_id_format = models.CharField(max_length=255, blank=True)
    name_qualifier = models.CharField(max_length=1024, blank=True)
    sp_name_qualifier = models.CharField(max_length=1024, blank=True)
    session_index = models.CharField(max_length=256, blank=True)
    created_at = models.DateTimeField(default=clock.default_now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["group", "name_id"], name="ssogroups_sso_session_name_id")]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.name_id}:{self.session_index}"


class SignInTrace(models.Model):
    """One SSO sign-in attempt (real or test) as it happened: the decoded response with signatures and
    certificates elided, each check's result in order, whom it mapped to and the session it created.
    Written by ssogroups.sign_in_trace; kept as long as the diagnostics (SSO_LOGIN_FAILURE_RETENTION_DAYS)."""

    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="sign_in_traces")
    key = models.CharField(max_length=32, unique=True)  # random: the trace page's URL
    time = models.DateTimeField(default=clock.default_now, db_index=True)
    test = models.BooleanField(default=False)
    ok = models.BooleanField(default=False)
    reason = models.CharField(max_length=64, blank=True)
    detail = models.CharField(max_length=1000, blank=True)
    checks = models.JSONField(default=list, blank=True)  # [{"check", "result", "detail"}] in order
    response_xml = models.TextField(blank=True)  # decoded, SignatureValue and X509Certificate elided
    response_note = models.CharField(max_length=255, blank=True)
    failure_reference = models.CharField(max_length=32, blank=True)  # its SSOLoginFailure's reference
    test_report_key = models.CharField(max_length=64, blank=True)  # its test sign-in report's key
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    username = models.CharField(max_length=255, blank=True)  # as mapped then (the user may be gone since)
    session_ref = models.CharField(max_length=16, blank=True)  # SHA-256 of the session key, cut: never the key
    session_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [
            models.Index(fields=["group", "failure_reference"], name="ssogroups_trace_failure"),
            models.Index(fields=["group", "test_report_key"], name="ssogroups_trace_test_report"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {'ok' if self.ok else self.reason}"
