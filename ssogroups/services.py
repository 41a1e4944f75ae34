"""Writes to SSO groups: create, update, enable, delete. Every write records an event."""

import copy
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.event_types import EventType
from accounts.events import event_record, jsonable
from accounts.models import Account, Event, UserSession
from accounts.sessions import sessions_end
from sparksso import clock
from ssogroups.dependents import group_dependent_counts
from ssogroups.domains import domains_normalize
from ssogroups.event_types import SSOGroupEvent
from ssogroups.metadata import Certificate, certificate_warnings, endpoint_warnings
from ssogroups.models import SSOCertificate, SSODomain, SSOGroup
from ssogroups.validators import MSG_ENABLE_NEEDS

MSG_SLUG_TAKEN = "This account already has an SSO group with the ID {slug!r}."


MSG_DOMAIN_TAKEN = "The domain {domain} is already claimed by another SSO group of this account."


POLICY_FIELDS = (
    "allow_idp_initiated",
    "jit_provisioning",
    "default_role",
    "signature_requirement",
    "allow_sha1",
    "scim_roles",
    "adopt_existing_users",
    "sign_authn_requests",
)


IDP_FIELDS = (
    "idp_entity_id",
    "sso_url",
    "sso_binding",
    "sso_endpoints",
    "slo_url",
    "name_id_format",
    "want_authn_requests_signed",
    "idp_metadata_url",
    "identity_attribute",  # "Identify users by": which value of the assertion names the user
)


def ssogroup_event_record(
    *, group: SSOGroup, event: EventType, actor: str, request: HttpRequest | None = None, **details: Any
) -> Event:
    """An event about ``group``: in its account, with its slug as the target."""
    return event_record(account=group.account, event=event, actor=actor, target=group.slug, request=request, **details)


def _validate(group: SSOGroup, certificates: list[Certificate] | None, *, check_enable: bool = True) -> None:
    """The model's own rules (SSOGroup.full_clean), then the account's: a slug is unique within it."""
    errors: dict[str, list[ValidationError]] = {}
    try:
        # The account is the caller's; the constraint on (account, slug) is said below, naming the slug.
        group.full_clean(exclude=["account"], validate_constraints=False)
    except ValidationError as exc:
        errors = exc.error_dict
    # An enabled group has what sign-in needs: the certificates about to be stored (None: the stored ones).
    missing = group.enable_missing(certificates) if group.enabled and check_enable else []
    if missing and "enabled" not in errors:
        errors["enabled"] = [ValidationError(MSG_ENABLE_NEEDS.format(missing=" and ".join(missing)))]
    # Scoped to this account: slugs only need to be unique within it.
    clash = SSOGroup.objects.filter(account_id=group.account_id, slug=group.slug).exclude(pk=group.pk)
    if "slug" not in errors and clash.exists():
        errors["slug"] = [ValidationError(MSG_SLUG_TAKEN.format(slug=group.slug))]
    if errors:
        raise ValidationError(errors)


def ssogroup_validate(*, group: SSOGroup, fields: dict[str, Any], certificates: list[Certificate] | None) -> None:
    """Would ``group`` with ``fields`` and ``certificates`` be valid? Writes nothing (a change held for
    approval is checked now, not first when it is approved). Raises ValidationError by field."""
    probe = copy.copy(group)
    columns = {f.name for f in SSOGroup._meta.concrete_fields}
    for name, value in fields.items():
        if name in columns:
            setattr(probe, name, value)
    _validate(probe, certificates)


def _domains_check(group: SSOGroup, domains: list[str]) -> None:
    # Scoped to the account: within it a domain is claimed by one group. Across accounts a claim is
    # only a claim; a domain routes /login identifiers once verified, by one account at most.
    taken = (
        SSODomain.objects.filter(account_id=group.account_id, domain__in=domains)
        .exclude(group_id=group.pk)
        .values_list("domain", flat=True)
    )
    if taken:
        raise ValidationError({"domains": [MSG_DOMAIN_TAKEN.format(domain=d) for d in sorted(taken)]})


def _certificates_replace(group: SSOGroup, certificates: list[Certificate]) -> None:
    keep = {c.sha256_fingerprint for c in certificates}
    group.certificates.exclude(sha256_fingerprint__in=keep).delete()
    existing = set(group.certificates.values_list("sha256_fingerprint", flat=True))
    for cert in certificates:
        if cert.sha256_fingerprint not in existing:
            SSOCertificate.objects.create(group=group, **certificate_fields(cert))


def certificate_fields(cert: Certificate) -> dict[str, Any]:
    """The columns a stored certificate (trusted or pending approval) keeps of a parsed one."""
    return {
        "pem": cert.pem,
        "sha256_fingerprint": cert.sha256_fingerprint,
        "subject": cert.subject[:500],
        "not_before": cert.not_before,
        "not_after": cert.not_after,
    }


def _domains_replace(group: SSOGroup, domains: list[str]) -> None:
    group.domains.exclude(domain__in=domains).delete()
    existing = set(group.domains.values_list("domain", flat=True))
    for domain in domains:
        if domain not in existing:
            SSODomain.objects.create(
                account_id=group.account_id, group=group, domain=domain, verification_token=secrets.token_urlsafe(24)
            )


def _warnings(group: SSOGroup, certificates: list[Certificate] | None, extra: Iterable[str]) -> list[str]:
    if certificates is None:
        certificates = [
            Certificate(pem=c.pem, sha256_fingerprint=c.sha256_fingerprint, subject=c.subject, **_validity(c))
            for c in group.certificates.all()
            if c.not_after is not None
        ]
    warnings = list(dict.fromkeys(extra))
    warnings += [w for w in certificate_warnings(certificates, now=clock.now()) if w not in warnings]
    if group.sso_url:
        warnings += [w for w in endpoint_warnings(group.sso_url) if w not in warnings]
    return warnings


def _validity(cert: SSOCertificate) -> dict[str, Any]:
    return {"not_before": cert.not_before, "not_after": cert.not_after}


def _save(
    group: SSOGroup,
    *,
    certificates: list[Certificate] | None,
    domains: list[str] | None,
    extra_warnings: Iterable[str],
    check_enable: bool = True,
) -> None:
    _validate(group, certificates, check_enable=check_enable)
    if domains is not None:
        _domains_check(group, domains)
    group.metadata_warnings = _warnings(group, certificates, extra_warnings)
    group.updated_at = clock.now()
    try:
        with transaction.atomic():
            group.save()
            if certificates is not None:
                _certificates_replace(group, certificates)
            if domains is not None:
                _domains_replace(group, domains)
    except IntegrityError as exc:  # a concurrent save won the race for the slug or a domain
        if domains is not None:
            _domains_check(group, domains)  # names the domain when that was the clash
        raise ValidationError({"slug": [MSG_SLUG_TAKEN.format(slug=group.slug)]}) from exc


def _cert_summary(certificates: Iterable[Certificate]) -> list[str]:
    return [c.sha256_fingerprint for c in certificates]


def ssogroup_create(
    *,
    account: Account,
    name: str,
    slug: str,
    actor: str,
    request: HttpRequest | None = None,
    certificates: list[Certificate] | None = None,
    domains: Iterable[str] = (),
    metadata_xml: str = "",
    metadata_warnings: Iterable[str] = (),
    enabled: bool = False,
    **fields: Any,
) -> SSOGroup:
    """Create a group; ValidationError (by field) when anything is wrong, and then nothing is written."""
    unknown = set(fields) - set(POLICY_FIELDS) - set(IDP_FIELDS)
    if unknown:
        raise TypeError(f"ssogroup_create got unknown fields: {sorted(unknown)}")
    certificates = list(certificates or [])
    normalized = domains_normalize(domains)
    now = clock.now()
    group = SSOGroup(
        account=account,
        name=name.strip(),
        slug=slug.strip(),
        enabled=enabled,
        metadata_xml=metadata_xml,
        metadata_fetched_at=now if fields.get("idp_metadata_url") and metadata_xml else None,
        created_at=now,
        **fields,
    )
    with transaction.atomic():
        _save(group, certificates=certificates, domains=normalized, extra_warnings=metadata_warnings)
        named = ("name", "enabled", "idp_entity_id", "sso_url", "idp_metadata_url", "identity_attribute")
        changes = {f: getattr(group, f) for f in named}
        changes |= {"certificates": _cert_summary(certificates), "domains": normalized}
        changes |= {f: getattr(group, f) for f in POLICY_FIELDS}
        ssogroup_event_record(
            group=group, event=SSOGroupEvent.SSO_GROUP_CREATE, actor=actor, request=request, changes=changes
        )
    return group


def _changed(group: SSOGroup, fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if getattr(group, name) != value}


def ssogroup_update(
    *,
    group: SSOGroup,
    actor: str,
    request: HttpRequest | None = None,
    certificates: list[Certificate] | None = None,
    domains: Iterable[str] | None = None,
    metadata_xml: str | None = None,
    metadata_warnings: Iterable[str] = (),
    event: EventType = SSOGroupEvent.SSO_GROUP_UPDATE,
    **fields: Any,
) -> SSOGroup:
    """Change the given fields (None for certificates/domains: leave them); records what changed."""
    allowed = {"name", "slug", "enabled", "metadata_refresh_error", "metadata_fetched_at"} | set(POLICY_FIELDS)
    unknown = set(fields) - allowed - set(IDP_FIELDS)
    if unknown:
        raise TypeError(f"ssogroup_update got unknown fields: {sorted(unknown)}")
    normalized = domains_normalize(domains) if domains is not None else None
    if metadata_xml is not None and fields.get("idp_metadata_url"):
        # Freshly fetched from its URL: whatever refresh error there was is over.
        fields.setdefault("metadata_fetched_at", clock.now())
        fields.setdefault("metadata_refresh_error", "")
    changes = _changed(group, fields)
    if certificates is not None:
        before = set(group.certificates.values_list("sha256_fingerprint", flat=True))
        after = _cert_summary(certificates)
        if before != set(after):
            changes["certificates"] = after
    if normalized is not None:
        before_domains = set(group.domains.values_list("domain", flat=True))
        if before_domains != set(normalized):
            changes["domains"] = normalized
    if metadata_xml is not None and metadata_xml != group.metadata_xml:
        changes["metadata_xml"] = f"replaced ({len(metadata_xml)} characters)"
        group.metadata_xml = metadata_xml
    for name, value in fields.items():
        setattr(group, name, value)
    group.name = group.name.strip()
    group.slug = group.slug.strip()
    with transaction.atomic():
        try:
            _save(
                group,
                certificates=certificates,
                domains=normalized,
                extra_warnings=metadata_warnings,
                # An enabled group whose certificate has since expired can still be renamed; the rule
                # applies when it is being enabled or its IdP values change.
                check_enable=bool(changes.keys() & {"enabled", "certificates", "idp_entity_id", "sso_url"}),
            )
        except ValidationError:
            group.refresh_from_db()
            raise
        if changes:
            recorded = {k: jsonable(v) for k, v in changes.items()}
            ssogroup_event_record(group=group, event=event, actor=actor, request=request, changes=recorded)
    if changes.get("enabled") is False:
        ssogroup_sessions_end(group=group)
    return group


def ssogroup_delete(*, group: SSOGroup, actor: str, request: HttpRequest | None = None) -> None:
    """Delete the group and end the sessions signed in through it. Bound users stay (unbound); what
    higher layers registered as its dependents (SCIM tokens) goes with it."""
    ssogroup_sessions_end(group=group)
    with transaction.atomic():
        changes = {"name": group.name, "idp_entity_id": group.idp_entity_id}
        changes |= {"bound_users": group.users.count(), **group_dependent_counts(group=group)}
        ssogroup_event_record(
            group=group, event=SSOGroupEvent.SSO_GROUP_DELETE, actor=actor, request=request, changes=changes
        )
        group.delete()


def ssogroup_sessions_end(*, group: SSOGroup) -> int:
    """End every session signed in through ``group`` (its managed users' SSO sessions), e.g. when an
    admin disables or deletes the IdP connection because it is compromised."""
    return sessions_end(UserSession.objects.filter(user__sso_group=group, auth_method="sso"))
