"""SSO groups (one IdP connection of an account) and the server-side state of SAML sign-in."""

from django.conf import settings
from django.db import models

from sparksso import clock

NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


class SSOGroup(models.Model):
    class SignatureRequirement(models.TextChoices):
        EITHER = "either", "Assertion or response signed"
        ASSERTION = "assertion", "Assertion signed"
        RESPONSE = "response", "Response signed"
        BOTH = "both", "Assertion and response signed"

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="sso_groups")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64)
    enabled = models.BooleanField(default=False)

    idp_entity_id = models.CharField(max_length=1024, blank=True)
    sso_url = models.URLField(max_length=2048, blank=True)
    sso_binding = models.CharField(max_length=100, default=BINDING_REDIRECT)
    # Every SingleSignOnService the metadata listed: [{"binding": ..., "location": ...}].
    sso_endpoints = models.JSONField(default=list, blank=True)
    slo_url = models.URLField(max_length=2048, blank=True)
    name_id_format = models.CharField(max_length=255, default=NAMEID_EMAIL)
    want_authn_requests_signed = models.BooleanField(default=False)

    metadata_xml = models.TextField(blank=True)
    metadata_url = models.URLField(max_length=2048, blank=True)
    metadata_fetched_at = models.DateTimeField(null=True, blank=True)
    metadata_warnings = models.JSONField(default=list, blank=True)
    metadata_refresh_error = models.CharField(max_length=500, blank=True)

    allow_idp_initiated = models.BooleanField(default=True)
    jit_provisioning = models.BooleanField(default=False)
    default_role = models.CharField(max_length=20, default="reporting")
    signature_requirement = models.CharField(
        max_length=20, choices=SignatureRequirement.choices, default=SignatureRequirement.EITHER
    )
    allow_sha1 = models.BooleanField(default=False)
    # Empty: the NameID identifies the user; otherwise the name of the attribute that does.
    identity_attribute = models.CharField(max_length=255, blank=True)

    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "slug"], name="ssogroups_slug_per_account"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    def _sp_url(self, leaf: str) -> str:
        return f"{settings.BASE_URL}/api/v1/users/saml/{self.account_id}/{self.slug}/{leaf}"

    @property
    def sp_entity_id(self) -> str:
        """The SP metadata URL is also the SP entity id (Audience URI)."""
        return self._sp_url("metadata")

    @property
    def metadata_url_sp(self) -> str:
        return self._sp_url("metadata")

    @property
    def acs_url(self) -> str:
        return self._sp_url("consume")

    @property
    def login_url(self) -> str:
        return self._sp_url("login")


class SSOCertificate(models.Model):
    """An IdP signing certificate; a group may hold several during a rollover."""

    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="certificates")
    pem = models.TextField()
    sha256_fingerprint = models.CharField(max_length=95)
    subject = models.CharField(max_length=500, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    not_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "sha256_fingerprint"], name="ssogroups_cert_once_per_group"),
        ]

    def __str__(self) -> str:
        return self.subject or self.sha256_fingerprint


class SSODomain(models.Model):
    """An email domain a group claims for adaptive login; unique across all accounts."""

    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    def __str__(self) -> str:
        return self.domain


class PendingAuthnRequest(models.Model):
    """An AuthnRequest we sent and have not yet seen answered; consumed by the ACS."""

    request_id = models.CharField(max_length=100, unique=True)
    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="pending_requests")
    # SHA-256 (hex) of the secret in the starting browser's sparksso_authn cookie (login CSRF).
    browser_hash = models.CharField(max_length=64)
    next_path = models.CharField(max_length=2048, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.request_id


class ConsumedAssertion(models.Model):
    """Assertion IDs already accepted; the unique constraint makes each one single-use."""

    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="consumed_assertions")
    assertion_id = models.CharField(max_length=256)
    not_on_or_after = models.DateTimeField(db_index=True)
    consumed_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "assertion_id"], name="ssogroups_assertion_single_use"),
        ]

    def __str__(self) -> str:
        return self.assertion_id


class SSOLoginFailure(models.Model):
    """A failed sign-in with its precise reason, for the admin's per-group diagnostics."""

    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="login_failures")
    time = models.DateTimeField(default=clock.now, db_index=True)
    reference = models.CharField(max_length=32, db_index=True)
    reason = models.CharField(max_length=64)
    detail = models.CharField(max_length=1000, blank=True)
    issuer = models.CharField(max_length=1024, blank=True)
    name_id = models.CharField(max_length=512, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-time", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.reason}"
