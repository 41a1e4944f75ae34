"""An admin's test sign-in: the very checks of a real sign-in, with a report instead of a session.

The report names each check (signature, issuer, audience, destination, time), what the IdP sent
(NameID, attributes), the user it maps to, or the exact reason it failed and what to change in the
IdP. It rests in the cache for a few minutes under a random key, readable only by the group's
account admins (the ACS gets the IdP's cross-site POST without the admin's session cookie).
"""

import secrets
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction

from accounts.models import User
from sparksso import clock
from ssogroups.models import SSOGroup
from ssogroups.saml import reasons
from ssogroups.saml.acs import ValidatedAssertion
from ssogroups.saml.errors import SamlRejected
from ssogroups.saml.identity import Profile, sso_user_resolve

REPORT_TTL_SECONDS = 600
_KEY = "sso-test-report:{key}"

CHECKS = (
    ("signature", "Signature"),
    ("issuer", "Issuer"),
    ("audience", "Audience"),
    ("destination", "Destination and recipient"),
    ("time", "Time window"),
)
_CHECK_OF_REASON = {
    reasons.UNSIGNED.code: "signature",
    reasons.SIGNATURE_MISSING_REQUIRED.code: "signature",
    reasons.BAD_SIGNATURE.code: "signature",
    reasons.SIGNATURE_STRUCTURE.code: "signature",
    reasons.DEPRECATED_ALGORITHM.code: "signature",
    reasons.WRONG_ISSUER.code: "issuer",
    reasons.WRONG_AUDIENCE.code: "audience",
    reasons.WRONG_DESTINATION.code: "destination",
    reasons.WRONG_RECIPIENT.code: "destination",
    reasons.SUBJECT_CONFIRMATION.code: "destination",
    reasons.EXPIRED.code: "time",
    reasons.NOT_YET_VALID.code: "time",
    reasons.NO_VALIDITY_WINDOW.code: "time",
    reasons.BAD_TIMESTAMP.code: "time",
}
# What to change, said for the admin who has the IdP's console open (JumpCloud's words).
FIX_HINTS = {
    "bad_signature": "Download the IdP's current certificate (JumpCloud: “Download certificate”) and paste it "
    "into “SAML 2.0 Certificate” on this group.",
    "unsigned": "Turn on signing of the assertion or the response in the IdP (JumpCloud: “Sign Assertion”).",
    "signature_missing_required": "Sign what this group requires (see its signature setting), or relax the setting.",
    "deprecated_algorithm": "Set the IdP's signature algorithm to RSA-SHA256.",
    "wrong_issuer": "Make the IdP's “IdP Entity ID” equal the IdP entity ID shown on this group.",
    "wrong_audience": "Paste this group's Audience URI (SP Entity ID) into the IdP's “SP Entity ID”.",
    "wrong_destination": "Paste this group's SAML 2.0 Consumer (POST) URL into the IdP's “ACS URL”.",
    "wrong_recipient": "Paste this group's SAML 2.0 Consumer (POST) URL into the IdP's “ACS URL”.",
    "expired": "Check the IdP server's clock, then try again (a test response can be used only once).",
    "not_yet_valid": "Check the IdP server's clock, then try again.",
    "unknown_user": "Create the user in sparksso (or provision her via SCIM), or turn on JIT provisioning.",
    "inactive_user": "Reactivate the user on the Users page, or assign the app to an active user in the IdP.",
    "other_group": "The user belongs to another SSO group; sign in through that group.",
    "unmanaged_user": "Bind the user to this group on the Users page (she then signs in only through it), "
    "or turn on “Adopt existing users” for a verified domain.",
    "no_name_id": "Set the IdP's SAMLSubject NameID to the user's email.",
    "unknown_request": "Start the test again from this page: the IdP must answer the request sparksso sent.",
}


@dataclass(frozen=True)
class SignInTestUser:
    """Whom a test sign-in would have signed in (or created, with JIT provisioning)."""

    username: str
    email: str
    would_create: bool
    name: str = ""  # first and last, for "Maps to Alice Liddell (alice@example.com)"
    other_email: str = ""  # the email, when it is not the username too


class _Rollback(Exception):
    def __init__(self, user: User):
        super().__init__("test sign-in: roll back")
        self.user = user


def sign_in_test_user_resolve(
    *, group: SSOGroup, identity: str, profile: Profile, validated: ValidatedAssertion | None = None
) -> SignInTestUser:
    """Run the real user resolution inside a savepoint and roll it back: its exact answer, nothing
    written (no JIT user, no binding, no profile update). Raises SamlRejected like a sign-in."""
    try:
        with transaction.atomic():
            raise _Rollback(sso_user_resolve(group=group, identity=identity, profile=profile, validated=validated))
    except _Rollback as done:
        user = done.user
    other_email = user.email if user.email.casefold() != user.username.casefold() else ""
    return SignInTestUser(
        username=user.username,
        email=user.email,
        would_create=not User.objects.filter(pk=user.pk).exists(),
        name=user.full_name,
        other_email=other_email,
    )


def _checks(failed: str | None, *, all_passed: bool) -> list[dict[str, str]]:
    rows = []
    for name, label in CHECKS:
        if all_passed:
            state = "passed"
        elif name == failed:
            state = "failed"
        else:
            state = "not checked"
        rows.append({"name": name, "label": label, "state": state})
    return rows


def sign_in_test_report_success(
    *, group: SSOGroup, validated: ValidatedAssertion, user: SignInTestUser | None, rejected: SamlRejected | None
) -> dict[str, Any]:
    """Every check passed; ``user`` is who it maps to, or ``rejected`` says why nobody."""
    report = _base(group, ok=rejected is None)
    report.update(
        checks=_checks(None, all_passed=True),
        issuer=validated.issuer,
        name_id=validated.name_id,
        name_id_format=validated.name_id_format,
        attributes=validated.attributes,
        user=user.__dict__ if user else None,
    )
    if rejected is not None:
        report.update(_reason(rejected))
    return report


def sign_in_test_report_failure(*, group: SSOGroup, rejected: SamlRejected) -> dict[str, Any]:
    """A check refused the response: which one, the admin's reason and what to change."""
    report = _base(group, ok=False)
    failed = _CHECK_OF_REASON.get(rejected.reason.code)
    report.update(
        checks=_checks(failed, all_passed=rejected.reason.code in reasons.IDENTITY_REASONS),
        issuer=rejected.issuer,
        name_id=rejected.name_id,
        name_id_format=rejected.name_id_format,
        **_reason(rejected),
    )
    return report


def _base(group: SSOGroup, *, ok: bool) -> dict[str, Any]:
    return {
        "account_id": group.account_id,
        "group": group.slug,
        "ok": ok,
        "time": clock.now().isoformat(),
        "attributes": {},
        "user": None,
    }


def _reason(rejected: SamlRejected) -> dict[str, str]:
    return {
        "reason": rejected.reason.code,
        "reason_text": rejected.reason.admin_text,
        "detail": rejected.detail,
        "fix": FIX_HINTS.get(rejected.reason.code, ""),
    }


def sign_in_test_report_store(report: dict[str, Any]) -> str:
    """Keep the report for ten minutes; returns the random key the admin's page reads it by."""
    key = secrets.token_urlsafe(18)
    cache.set(_KEY.format(key=key), report, REPORT_TTL_SECONDS)
    return key


def sign_in_test_report_load(*, key: str, account_id: int, slug: str) -> dict[str, Any] | None:
    """The report, only for the account and group it belongs to (crucial: another account's key is None)."""
    report = cache.get(_KEY.format(key=key[:64]))
    if not report or report.get("account_id") != account_id or report.get("group") != slug:
        return None
    return report
