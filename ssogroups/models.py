"""SSO groups (one IdP connection of an account) and the server-side state of SAML sign-in."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models

from accounts.models import User
from sparksso import clock
from ssogroups import validators as v
from ssogroups.constants import BINDING_REDIRECT, NAMEID_EMAIL
from ssogroups.domains import validate_claimable_domain


def scim_roles_default() -> list[str]:
    """Every role but admin: SCIM may make admins only when an account admin allows it per group."""
    return ["reporting", "templates", "developer"]


def _sp_url(leaf: str) -> property:
    """A URL of a group's SP endpoints, built from BASE_URL (never from a request's Host header)."""
    return property(lambda group: f"{settings.BASE_URL}/api/v1/users/saml/{group.account_id}/{group.slug}/{leaf}")


class GroupSlugField(models.SlugField):
    """A slug that becomes part of URLs: lowercase only (Django's own slug rule allows capitals)."""

    default_validators = [v.validate_group_slug]


class HttpURLField(models.URLField):
    """A URL the SAML side uses: http(s) with a host, in place of Django's stricter URLValidator."""

    default_validators = [v.validate_http_url]


class SSOGroup(models.Model):
    class SignatureRequirement(models.TextChoices):
        EITHER = "either", "Assertion or response signed"
        ASSERTION = "assertion", "Assertion signed"
        RESPONSE = "response", "Response signed"
        BOTH = "both", "Assertion and response signed"

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="sso_groups")
    name = models.CharField(
        max_length=200, validators=[v.validate_not_blank], error_messages={"blank": v.MSG_NAME_REQUIRED}
    )
    slug = GroupSlugField(max_length=64, error_messages={"blank": v.MSG_SLUG_INVALID})
    enabled = models.BooleanField(default=False)

    idp_entity_id = models.CharField(max_length=1024, blank=True, error_messages={"max_length": v.MSG_ENTITY_ID_LONG})
    # Set when the entity ID was left empty and the Issuer of the first response whose signature
    # verified against the group's certificate was pinned (later responses must match it).
    issuer_pinned_at = models.DateTimeField(null=True, blank=True)
    sso_url = HttpURLField(max_length=2048, blank=True, error_messages={"invalid": v.MSG_ENDPOINT_INVALID})
    sso_binding = models.CharField(max_length=100, default=BINDING_REDIRECT)
    # Every SingleSignOnService the metadata listed: [{"binding": ..., "location": ...}].
    sso_endpoints = models.JSONField(default=list, blank=True)
    slo_url = HttpURLField(max_length=2048, blank=True)
    name_id_format = models.CharField(max_length=255, default=NAMEID_EMAIL)
    want_authn_requests_signed = models.BooleanField(default=False)

    metadata_xml = models.TextField(blank=True)
    # The IdP's metadata URL (refresh reads it); our own SP metadata URL is ``sp_metadata_url``.
    idp_metadata_url = HttpURLField(max_length=2048, blank=True)
    metadata_fetched_at = models.DateTimeField(null=True, blank=True)
    metadata_warnings = models.JSONField(default=list, blank=True)
    metadata_refresh_error = models.CharField(max_length=500, blank=True)

    allow_idp_initiated = models.BooleanField(default=True)
    jit_provisioning = models.BooleanField(default=False)
    default_role = models.CharField(
        max_length=20,
        choices=User.Role.choices,
        default=User.Role.REPORTING,
        error_messages=dict.fromkeys(("invalid_choice", "blank"), v.MSG_ROLE_INVALID.format(roles=v.ROLES)),
    )
    # Roles this group's SCIM tokens may assign; ``admin`` only when an account admin ticks it.
    scim_roles = models.JSONField(default=scim_roles_default, blank=True, validators=[v.validate_scim_roles])
    # Off by default: let this group's sign-ins take over existing unmanaged users whose email is in
    # a verified domain of this group (never admins, never users with a usable password).
    adopt_existing_users = models.BooleanField(default=False)
    signature_requirement = models.CharField(
        max_length=20,
        choices=SignatureRequirement.choices,
        default=SignatureRequirement.EITHER,
        error_messages=dict.fromkeys(("invalid_choice", "blank"), v.MSG_SIGNATURE_INVALID),
    )
    allow_sha1 = models.BooleanField(default=False)
    # "Identify users by": empty, the NameID (an email address); otherwise the name of the attribute
    # whose first value names the user. Trust material (ssogroups.trust): it decides whom a response names.
    identity_attribute = models.CharField(
        max_length=255,
        blank=True,
        validators=[v.validate_attribute_name],
        error_messages={"max_length": v.MSG_ATTRIBUTE_NAME_INVALID},
    )

    created_at = models.DateTimeField(default=clock.default_now)
    updated_at = models.DateTimeField(default=clock.default_now)

    class Meta:
        constraints = [
            # The clash is said with the slug in it by ssogroups.services (MSG_SLUG_TAKEN).
            models.UniqueConstraint(fields=["account", "slug"], name="ssogroups_slug_per_account"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    def clean(self) -> None:
        """The rule across columns: SCIM roles in role order. What an enabled group needs depends on the
        certificates about to be stored, so ssogroups.services checks it with ``enable_missing``."""
        if not self.scim_roles:
            self.scim_roles = []  # any empty value is no roles
        elif v.scim_roles_valid(self.scim_roles):  # a bad role is the column's validator's to name
            self.scim_roles = sorted(set(self.scim_roles), key=User.Role.values.index)

    def enable_missing(self, certificates: Iterable[Any] | None = None) -> list[str]:
        """What the group lacks before it can be enabled (empty: ready). ``certificates`` (anything with a
        ``not_after``) are the ones about to be stored; None: the stored ones."""
        now = clock.now()
        if certificates is None:
            usable = self.pk is not None and self.certificates.filter(not_after__gt=now).exists()
        else:
            usable = any(c.not_after is not None and c.not_after > now for c in certificates)
        # No IdP entity ID is needed: when empty, the first verified response's Issuer is pinned.
        missing = []
        if not self.sso_url:
            missing.append("a SAML 2.0 Endpoint")
        if not usable:
            missing.append("at least one valid, unexpired SAML 2.0 Certificate")
        return missing

    # Our SP's URLs for this group. The metadata URL is also the SP entity ID (Audience URI).
    sp_metadata_url = sp_entity_id = _sp_url("metadata")
    acs_url = _sp_url("consume")
    login_url = _sp_url("login")


class CertificateFields(models.Model):
    """What a stored IdP certificate keeps, trusted or awaiting approval (ssogroups.services.certificate_fields)."""

    pem = models.TextField()
    sha256_fingerprint = models.CharField(max_length=95)
    subject = models.CharField(max_length=500, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    not_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class SSOCertificate(CertificateFields):
    """An IdP signing certificate; a group may hold several during a rollover."""

    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="certificates")
    created_at = models.DateTimeField(default=clock.default_now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "sha256_fingerprint"], name="ssogroups_cert_once_per_group"),
        ]

    def __str__(self) -> str:
        return self.subject or self.sha256_fingerprint


class SSOPendingCertificate(CertificateFields):
    """A signing certificate a metadata refresh brought, not trusted until an admin approves.

    The rows of one group are the whole proposed set (what the group's certificates become on
    approval); a later refresh replaces them. Nothing here is used to verify a signature.
    """

    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="pending_certificates")
    proposed_at = models.DateTimeField(default=clock.default_now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "sha256_fingerprint"], name="ssogroups_pending_cert_once_per_group"
            ),
        ]

    def __str__(self) -> str:
        return self.subject or self.sha256_fingerprint


class SSOTrustChange(models.Model):
    """A change of what an enabled group trusts or where it sends people, held until an admin approves.

    ``values`` holds the proposed IdP columns that differ (entity ID, endpoint(s), SLO URL, metadata
    URL); the group's SSOPendingCertificate rows are the proposed certificate set when
    ``certificates_changed``. ``version`` is a digest of both: the approve form posts it back, so an
    admin approves exactly what was shown (ssogroups.trust). Nothing here signs anyone in.
    """

    group = models.OneToOneField(SSOGroup, on_delete=models.CASCADE, related_name="trust_change")
    values = models.JSONField(default=dict, blank=True)
    certificates_changed = models.BooleanField(default=False)
    metadata_xml = models.TextField(blank=True)
    version = models.CharField(max_length=64)
    source = models.CharField(max_length=40)
    proposed_by = models.CharField(max_length=150)
    proposed_at = models.DateTimeField(default=clock.default_now)

    def __str__(self) -> str:
        return f"{self.group_id} {self.version[:12]}"


class SSOExpiryNotice(models.Model):
    """A warning ssogroups_check has already sent (event and email): one row per group, kind, subject
    and threshold, so a daily run warns once per threshold. The unique constraint makes two runs at
    once send it once."""

    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="expiry_notices")
    # An event name: sso_group_certificate_expiring / _expired / sso_group_metadata_refresh_failing.
    kind = models.CharField(max_length=64)
    # What it is about: a certificate's fingerprint, or when the metadata last refreshed (one episode).
    subject = models.CharField(max_length=100)
    # Days before expiry (30, 7; 0 for expired) or days of failing refresh (7).
    threshold = models.IntegerField()
    sent_at = models.DateTimeField(default=clock.default_now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "kind", "subject", "threshold"], name="ssogroups_expiry_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} {self.threshold}"


class SSODomain(models.Model):
    """An email domain a group claims. It routes /login identifiers only once the account has proven
    it owns the domain (a DNS TXT record); a domain is verified by one account at most."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="sso_domains")
    group = models.ForeignKey(SSOGroup, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, validators=[validate_claimable_domain])
    verification_token = models.CharField(max_length=64)
    verified_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    check_error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "domain"], name="ssogroups_domain_once_per_account"),
            # Crucial: a domain routes to one account at most, however many have claimed it.
            models.UniqueConstraint(
                fields=["domain"], condition=models.Q(verified_at__isnull=False), name="ssogroups_domain_verified_once"
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def txt_record(self) -> str:
        """The TXT record value the account publishes at the domain to prove it owns it."""
        return f"sparksso-verification={self.verification_token}"


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


class SSOGroupUserCount(models.Model):
    """How many users each SSO group manages: SCIM's ``totalResults`` for an unfiltered list.

    Kept by database triggers on the users table (``ssogroups.user_counts``), in the transaction of
    every insert, delete or change of ``User.sso_group``, whichever code path writes it (services,
    bulk imports, a deleted group's SET NULL). A missing row means no users.
    """

    sso_group = models.OneToOneField(SSOGroup, on_delete=models.CASCADE, primary_key=True, related_name="+")
    users = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.sso_group_id}: {self.users}"
