"""One gate for changes of trust and privilege on an SSO group, whichever path makes them.

Whom a group trusts (signing certificates, IdP entity ID) and where it sends people (SSO endpoint
and binding, SLO URL, the metadata URL it refreshes from) decide who can sign in as whom. So does
its policy (SCIM roles, JIT, adopt, IdP-initiated sign-in, signature rules, being enabled). Every
path that changes them — the edit form, refresh from URL, the timer, the commands — goes through
``ssogroup_change`` here:

- a person needs a recent sign-in (``Authority.STALE`` is refused before anything is written);
  an operator at a shell is trusted (``Authority.OPERATOR``);
- on an enabled group a change of trust material is held as the group's one ``SSOTrustChange``
  (the rest of the change applies) until an admin approves or rejects it, posting back the
  version shown; a command may pass ``approve=True``;
- a group that has never been enabled is set up freely (there is nobody to sign in as yet).
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from accounts.event_types import EventType
from accounts.models import Account
from ssogroups.event_types import SSOGroupEvent
from ssogroups.metadata import Certificate
from ssogroups.models import SSOGroup, SSOPendingCertificate, SSOTrustChange, scim_roles_default
from ssogroups.services import (
    certificate_fields,
    ssogroup_create,
    ssogroup_event_record,
    ssogroup_update,
    ssogroup_validate,
)

EVENT_PENDING = SSOGroupEvent.SSO_GROUP_TRUST_CHANGE_PENDING
EVENT_APPROVE = SSOGroupEvent.SSO_GROUP_TRUST_CHANGE_APPROVE
EVENT_REJECT = SSOGroupEvent.SSO_GROUP_TRUST_CHANGE_REJECT
MSG_NOTHING_PENDING = "There is no change of trust waiting for approval."
MSG_PROPOSAL_CHANGED = (
    "The change waiting for approval is no longer the one you looked at (the metadata was refreshed "
    "or edited since). Nothing was changed: review the change shown now and decide again."
)

# What the group trusts or where it sends people: held for approval on an enabled group. "Identify
# users by" (identity_attribute) is here too: it decides which value of a signed assertion names the
# user, and an attribute the user can edit at the IdP would let her become someone else.
TRUST_FIELDS = (
    "idp_entity_id",
    "sso_url",
    "sso_binding",
    "sso_endpoints",
    "slo_url",
    "idp_metadata_url",
    "identity_attribute",
)
# What a user signed in through the group may become or do: needs a person's recent sign-in.
PRIVILEGE_FIELDS = (
    "scim_roles",
    "default_role",
    "jit_provisioning",
    "adopt_existing_users",
    "allow_idp_initiated",
    "signature_requirement",
    "allow_sha1",
    "enabled",
)
# Neither: whether we sign our AuthnRequests (the IdP's WantAuthnRequestsSigned from its metadata, or the
# group's own policy) changes what we send, never whom the group trusts or what a user may become. Turning
# it off can only make an IdP that requires signatures refuse sign-ins. So no recent sign-in, nothing held.
NEUTRAL_FIELDS = ("want_authn_requests_signed", "sign_authn_requests")
# A new group's policy that asks for nothing beyond what any group has.
_CREATE_DEFAULTS = {
    "scim_roles": scim_roles_default(),
    "default_role": "reporting",
    "jit_provisioning": False,
    "adopt_existing_users": False,
    "allow_idp_initiated": True,
    "signature_requirement": "either",
    "allow_sha1": False,
    "enabled": False,
}


class Authority(StrEnum):
    """Who makes a change: an operator at a shell, or a person whose sign-in is recent or not."""

    OPERATOR = "operator"
    RECENT = "recent"
    STALE = "stale"


class ReauthRequired(Exception):
    """A person's change of trust or privilege needs a recent sign-in; nothing was written."""

    def __init__(self, fields: Iterable[str]) -> None:
        self.fields = sorted(fields)
        super().__init__(", ".join(self.fields))


class ProposalChanged(Exception):
    """The approve/reject form named a version that is not the one waiting; nothing was written."""

    message = MSG_PROPOSAL_CHANGED


@dataclass(frozen=True)
class TrustDiff:
    values: dict[str, Any]  # trust columns that would change, with their new values
    certificates: list[Certificate] | None  # the new certificate set, when it differs
    privileges: list[str]  # privilege columns that would change

    @property
    def trust(self) -> bool:
        return bool(self.values) or self.certificates is not None


def _same(name: str, current: Any, proposed: Any) -> bool:
    if name == "scim_roles":
        return set(current or []) == set(proposed or [])
    if isinstance(current, str) and isinstance(proposed, str):
        return current.strip() == proposed.strip()
    return current == proposed


def trust_diff(*, group: SSOGroup, fields: dict[str, Any], certificates: list[Certificate] | None) -> TrustDiff:
    """What of ``fields``/``certificates`` would change the group's trust or its users' privileges."""
    values = {f: fields[f] for f in TRUST_FIELDS if f in fields and not _same(f, getattr(group, f), fields[f])}
    new_certs = None
    if certificates is not None:
        current = set(group.certificates.values_list("sha256_fingerprint", flat=True))
        if current != {c.sha256_fingerprint for c in certificates}:
            new_certs = list(certificates)
    privileges = [f for f in PRIVILEGE_FIELDS if f in fields and not _same(f, getattr(group, f), fields[f])]
    if "enabled" in privileges and not fields["enabled"]:
        privileges.remove("enabled")  # disabling takes nothing away from safety: no sign-in needed
    return TrustDiff(values=values, certificates=new_certs, privileges=privileges)


def _refuse_stale(authority: Authority, fields: Iterable[str]) -> None:
    fields = list(fields)
    if authority is Authority.STALE and fields:
        raise ReauthRequired(fields)


def ssogroup_create_gated(
    *, account: Account, authority: Authority, actor: str, request: HttpRequest | None = None, **kwargs: Any
) -> SSOGroup:
    """``ssogroup_create`` for a person or an operator: trust material or non-default policy from a
    person needs a recent sign-in. A new group is never enabled yet, so nothing is held."""
    touched = [f for f in TRUST_FIELDS if kwargs.get(f)]
    touched += ["certificates"] if kwargs.get("certificates") else []
    touched += [f for f, default in _CREATE_DEFAULTS.items() if f in kwargs and not _same(f, default, kwargs[f])]
    _refuse_stale(authority, touched)
    return ssogroup_create(account=account, actor=actor, request=request, **kwargs)


def ssogroup_change(
    *,
    group: SSOGroup,
    authority: Authority,
    actor: str,
    request: HttpRequest | None = None,
    certificates: list[Certificate] | None = None,
    metadata_xml: str | None = None,
    approve: bool = False,
    source: str = "form",
    event: EventType = SSOGroupEvent.SSO_GROUP_UPDATE,
    withdraw_when_current: bool = False,
    **fields: Any,
) -> SSOGroup:
    """Change ``group`` through the gate (module docstring). ``withdraw_when_current``: a refresh that
    finds the trusted values again withdraws an older proposal. Raises ReauthRequired / ValidationError."""
    diff = trust_diff(group=group, fields=fields, certificates=certificates)
    _refuse_stale(authority, [*diff.values, *(["certificates"] if diff.certificates else []), *diff.privileges])
    # Security-critical: an enabled group keeps trusting what it trusts until an admin approves.
    hold = group.enabled and diff.trust and not approve
    with transaction.atomic():
        if not hold:
            group = ssogroup_update(
                group=group,
                actor=actor,
                request=request,
                event=event,
                certificates=certificates,
                metadata_xml=metadata_xml,
                **fields,
            )
            if diff.trust or withdraw_when_current:
                trust_change_withdraw(group=group)  # applied, or back to what is trusted: nothing to approve
            return group
        ssogroup_validate(group=group, fields=fields, certificates=certificates)
        rest = {k: v for k, v in fields.items() if k not in TRUST_FIELDS}
        group = ssogroup_update(group=group, actor=actor, request=request, event=event, **rest)
        trust_change_propose(
            group=group, diff=diff, metadata_xml=metadata_xml or "", source=source, actor=actor, request=request
        )
    return group


def trust_version(values: dict[str, Any], fingerprints: list[str] | None) -> str:
    """A digest of a proposal: what the approve form posts back (the migration repeats this recipe)."""
    body = {"values": values, "certificates": sorted(fingerprints) if fingerprints is not None else None}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _summary(certificates: Iterable[Any]) -> list[dict[str, str]]:
    return [
        {
            "sha256_fingerprint": c.sha256_fingerprint,
            "not_after": c.not_after.strftime("%Y-%m-%dT%H:%M:%SZ") if c.not_after else "",
        }
        for c in certificates
    ]


def trust_change_propose(
    *,
    group: SSOGroup,
    diff: TrustDiff,
    metadata_xml: str,
    source: str,
    actor: str,
    request: HttpRequest | None = None,
) -> SSOTrustChange:
    """Hold ``diff`` as the group's one proposal; the same proposal again records nothing new."""
    fingerprints = [c.sha256_fingerprint for c in diff.certificates] if diff.certificates is not None else None
    version = trust_version(diff.values, fingerprints)
    existing = SSOTrustChange.objects.filter(group=group).first()
    if existing is not None and existing.version == version:
        return existing
    with transaction.atomic():
        trust_change_withdraw(group=group)
        if diff.certificates is not None:
            SSOPendingCertificate.objects.bulk_create(
                SSOPendingCertificate(group=group, **certificate_fields(c)) for c in diff.certificates
            )
        change = SSOTrustChange.objects.create(
            group=group,
            values=diff.values,
            certificates_changed=diff.certificates is not None,
            metadata_xml=metadata_xml,
            version=version,
            source=source,
            proposed_by=actor,
        )
        proposed: dict[str, Any] = dict(diff.values)
        current: dict[str, Any] = {f: getattr(group, f) for f in diff.values}
        if diff.certificates is not None:
            proposed["certificates"] = _summary(diff.certificates)
            current["certificates"] = _summary(group.certificates.order_by("not_after", "pk"))
        changes = {"version": version, "source": source, "proposed": proposed, "current": current}
        ssogroup_event_record(group=group, event=EVENT_PENDING, actor=actor, request=request, changes=changes)
    return change


def trust_change_withdraw(*, group: SSOGroup) -> None:
    """Drop the group's proposal (superseded, applied, or the metadata is back to what is trusted)."""
    SSOTrustChange.objects.filter(group=group).delete()
    group.pending_certificates.all().delete()


def _locked(group: SSOGroup, version: str) -> SSOTrustChange:
    """The waiting proposal, locked, if it is the one the admin looked at."""
    change = SSOTrustChange.objects.select_for_update().filter(group=group).first()
    if change is None:
        raise ValidationError(MSG_NOTHING_PENDING)
    if not version or version != change.version:
        raise ProposalChanged(MSG_PROPOSAL_CHANGED)
    return change


def trust_change_approve(*, group: SSOGroup, version: str, actor: str, request: HttpRequest | None = None) -> SSOGroup:
    """Apply exactly the proposal of ``version``. Raises ProposalChanged when another one waits now,
    ValidationError when none waits or it cannot be used (e.g. every proposed certificate expired)."""
    with transaction.atomic():
        change = _locked(group, version)
        certificates = None
        if change.certificates_changed:
            certificates = [
                Certificate(
                    pem=r.pem,
                    sha256_fingerprint=r.sha256_fingerprint,
                    subject=r.subject,
                    not_before=r.not_before,
                    not_after=r.not_after,
                )
                for r in group.pending_certificates.order_by("not_after", "pk")
            ]
        group = ssogroup_update(
            group=group,
            actor=actor,
            request=request,
            event=EVENT_APPROVE,
            certificates=certificates,
            metadata_xml=change.metadata_xml or None,
            **change.values,
        )
        trust_change_withdraw(group=group)
    return group


def trust_change_reject(*, group: SSOGroup, version: str, actor: str, request: HttpRequest | None = None) -> None:
    """Discard the proposal of ``version``; the group keeps trusting what it trusted."""
    with transaction.atomic():
        change = _locked(group, version)
        changes: dict[str, Any] = {"version": change.version, "rejected": dict(change.values)}
        if change.certificates_changed:
            changes["rejected"]["certificates"] = _summary(group.pending_certificates.order_by("not_after", "pk"))
        trust_change_withdraw(group=group)
        ssogroup_event_record(group=group, event=EVENT_REJECT, actor=actor, request=request, changes=changes)


def trust_change_get(*, group: SSOGroup) -> SSOTrustChange | None:
    """The group's waiting change of trust, if any (the group is already the admin's own)."""
    return SSOTrustChange.objects.filter(group=group).first()


TRUST_LABELS = {
    "idp_entity_id": "IdP Entity ID",
    "sso_url": "SAML 2.0 Endpoint",
    "sso_binding": "Endpoint binding",
    "sso_endpoints": "All sign-on endpoints",
    "slo_url": "Single logout URL",
    "idp_metadata_url": "Metadata URL",
    "identity_attribute": "Identify users by",
}


def trust_change_rows(change: SSOTrustChange) -> list[tuple[str, str, str]]:
    """(label, current, proposed) for each proposed column, in the admin's words."""

    def text(field: str, value: Any) -> str:
        if field == "identity_attribute":
            return f"attribute {value}" if value else "NameID"
        if isinstance(value, list):
            return " ".join(f"{e.get('location', '')} ({e.get('binding', '').rsplit(':', 1)[-1]})" for e in value)
        return str(value or "")

    group = change.group
    return [(TRUST_LABELS.get(f, f), text(f, getattr(group, f)), text(f, v)) for f, v in change.values.items()]
