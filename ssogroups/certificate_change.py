"""Signing certificates that change on a metadata refresh wait for an admin's approval.

Whoever controls the metadata URL (or the path to it) could otherwise swap the key that signs
sign-ins for every user of the group. A refresh that brings a different set of signing
certificates under the same entity ID leaves the group's certificates as they are and records
the proposed set; the group page shows its fingerprints to approve (the set becomes the group's)
or reject (the proposal is discarded).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from ssogroups.metadata import Certificate
from ssogroups.models import SSOGroup, SSOPendingCertificate
from ssogroups.services import certificate_fields, ssogroup_event_record, ssogroup_update

EVENT_PENDING = "sso_group_certificate_change_pending"
EVENT_APPROVE = "sso_group_certificate_change_approve"
EVENT_REJECT = "sso_group_certificate_change_reject"
MSG_NOTHING_PENDING = "There is no certificate change waiting for approval."


def _summary(certificates) -> list[dict[str, str]]:
    return [
        {
            "sha256_fingerprint": c.sha256_fingerprint,
            "not_after": c.not_after.strftime("%Y-%m-%dT%H:%M:%SZ") if c.not_after else "",
        }
        for c in certificates
    ]


def certificates_differ(*, group: SSOGroup, certificates: list[Certificate]) -> bool:
    """True when ``certificates`` is not exactly the set the group trusts now (and it trusts some).

    A group with no certificate yet takes its first set from the refresh: there is nothing to swap.
    """
    current = set(group.certificates.values_list("sha256_fingerprint", flat=True))
    return bool(current) and current != {c.sha256_fingerprint for c in certificates}


def certificate_change_propose(
    *, group: SSOGroup, certificates: list[Certificate], actor: str, request: HttpRequest | None = None
) -> bool:
    """Record ``certificates`` as the proposed set; True if that is new (and recorded as an event).

    A refresh that brings the same proposal again (a scheduled ssogroups_refresh) records nothing.
    """
    proposed = {c.sha256_fingerprint for c in certificates}
    pending = set(group.pending_certificates.values_list("sha256_fingerprint", flat=True))
    if pending == proposed:
        return False
    with transaction.atomic():
        group.pending_certificates.all().delete()
        SSOPendingCertificate.objects.bulk_create(
            SSOPendingCertificate(group=group, **certificate_fields(c)) for c in certificates
        )
        changes = {
            "proposed": _summary(certificates),
            "current": _summary(group.certificates.order_by("not_after", "pk")),
        }
        ssogroup_event_record(group=group, event=EVENT_PENDING, actor=actor, request=request, changes=changes)
    return True


def certificate_change_withdraw(*, group: SSOGroup) -> None:
    """The refreshed metadata is back to the trusted set: an older proposal no longer applies."""
    group.pending_certificates.all().delete()


def _pending(group: SSOGroup) -> list[SSOPendingCertificate]:
    rows = list(group.pending_certificates.order_by("not_after", "pk"))
    if not rows:
        raise ValidationError(MSG_NOTHING_PENDING)
    return rows


def certificate_change_approve(*, group: SSOGroup, actor: str, request: HttpRequest | None = None) -> SSOGroup:
    """The proposed set becomes the group's certificates; raises ValidationError if there is none
    or if it cannot be used (e.g. every proposed certificate has expired on an enabled group)."""
    with transaction.atomic():
        rows = _pending(group)
        certificates = [
            Certificate(
                pem=r.pem,
                sha256_fingerprint=r.sha256_fingerprint,
                subject=r.subject,
                not_before=r.not_before,
                not_after=r.not_after,
            )
            for r in rows
        ]
        group = ssogroup_update(
            group=group, actor=actor, request=request, event=EVENT_APPROVE, certificates=certificates
        )
        group.pending_certificates.all().delete()
    return group


def certificate_change_reject(*, group: SSOGroup, actor: str, request: HttpRequest | None = None) -> None:
    """Discard the proposed set; the group keeps trusting what it trusted."""
    with transaction.atomic():
        rows = _pending(group)
        group.pending_certificates.all().delete()
        changes = {"rejected": _summary(rows)}
        ssogroup_event_record(group=group, event=EVENT_REJECT, actor=actor, request=request, changes=changes)
