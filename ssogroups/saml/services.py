"""SAML sign-in writes: complete a sign-in from a posted response, record failures and successes."""

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings as django_settings
from django.http import HttpRequest

from accounts.events import event_record
from accounts.models import Event, User
from sparksso import clock
from sparksso.middleware import client_ip
from sparksso.redirects import safe_next_path
from ssogroups.event_types import SSOGroupEvent
from ssogroups.models import SSOCertificate, SSOGroup, SSOLoginFailure
from ssogroups.saml import reasons
from ssogroups.saml.acs import validate_response
from ssogroups.saml.browser_secret import AUTHN_COOKIE, browser_cookie_present, browser_matches
from ssogroups.saml.config import saml_settings_for_group
from ssogroups.saml.errors import SamlRejected
from ssogroups.saml.identity import identity_value, profile_from_attributes, sso_user_resolve
from ssogroups.saml.request_store import (
    assertion_consume,
    authn_request_start,
    force_authn_take,
    pending_request_consume,
    pending_request_spent,
)
from ssogroups.saml.sign_in_test import (
    sign_in_test_report_failure,
    sign_in_test_report_store,
    sign_in_test_report_success,
    sign_in_test_user_resolve,
)
from ssogroups.saml.throttle import AcsLimit
from ssogroups.services import ssogroup_event_record

logger = logging.getLogger(__name__)
ANONYMOUS = "anonymous"  # the actor of events caused by a request nobody could authenticate


@dataclass(frozen=True)
class SsoLoginResult:
    """Who to sign in; or, for an admin's test sign-in, only ``test_report`` (nobody is signed in)."""

    user: User | None
    next_path: str
    session_not_on_or_after: datetime | None
    force_authn: bool = False  # the answer to our ForceAuthn request: recent if authn_instant says so
    authn_instant: datetime | None = None
    test_report: dict[str, Any] | None = None


def _group_settings(group: SSOGroup) -> dict:
    # The certificates the group trusts now: a removed one fails the very next response. A sign-in
    # read them with its group, in this request (ssogroup_for_sign_in).
    pems = getattr(group, "certificate_pems", None)
    if pems is None:
        pems = list(SSOCertificate.objects.filter(group_id=group.pk).order_by("pk").values_list("pem", flat=True))
    return saml_settings_for_group(group, certificates_pem=pems)


def sso_login_start(
    *,
    group: SSOGroup,
    next_path: str,
    browser_hash: str,
    reuse_hashes: Sequence[str] = (),
    force_authn: bool = False,
    is_test: bool = False,
):
    """Begin SP-initiated sign-in: an AuthnStart (redirect URL or POST form) for the browser.

    ``is_test``: an admin's test sign-in, whose response the ACS reports instead of signing in.
    """
    return authn_request_start(
        group=group,
        settings=_group_settings(group),
        next_path=next_path,
        browser_hash=browser_hash,
        reuse_hashes=reuse_hashes,
        force_authn=force_authn,
        is_test=is_test,
    )


def ssogroup_issuer_pin(*, group: SSOGroup, issuer: str, request: HttpRequest | None = None) -> None:
    """Pin ``issuer`` (of a response whose signature verified against the group's certificate) on a
    group that has no IdP entity ID yet; raises SamlRejected when another Issuer was pinned first."""
    now = clock.now()
    # Conditional update: of two concurrent first sign-ins exactly one pins.
    pinned = SSOGroup.objects.filter(pk=group.pk, idp_entity_id="").update(
        idp_entity_id=issuer, issuer_pinned_at=now, updated_at=now
    )
    if not pinned:
        current = SSOGroup.objects.filter(pk=group.pk).values_list("idp_entity_id", flat=True).first()
        if current != issuer:  # crucial: validated against its own Issuer, which lost the race
            raise SamlRejected(reasons.WRONG_ISSUER, "another Issuer was pinned first", issuer=issuer)
        return
    group.idp_entity_id, group.issuer_pinned_at = issuer, now
    changes = {"idp_entity_id": issuer}
    ssogroup_event_record(
        group=group, event=SSOGroupEvent.SSO_GROUP_ISSUER_PINNED, actor=issuer, request=request, changes=changes
    )


def sso_login_consume(
    *, group: SSOGroup, saml_response: str, relay_state: str, request: HttpRequest, test: bool = False
) -> SsoLoginResult:
    """Validate a posted response and resolve the user it signs in; raises SamlRejected.

    The pending request (InResponseTo) and the assertion ID are consumed once validation
    passes, so a response is single-use even if the user is then refused. A solicited response
    must come from the browser that started the request (ssogroups.saml.browser_secret). A response to a
    test request (or any response when ``test``) signs nobody in and writes no user.
    """
    now = clock.now()
    validated = validate_response(
        saml_response=saml_response,
        settings=_group_settings(group),
        acs_url=group.acs_url,
        now=now,
        clock_skew=timedelta(seconds=django_settings.SAML_CLOCK_SKEW_SECONDS),
    )

    def reject(reason: reasons.Reason, detail: str = "") -> SamlRejected:
        name_id_format = validated.name_id_format
        return SamlRejected(
            reason, detail, issuer=validated.issuer, name_id=validated.name_id, name_id_format=name_id_format
        )

    if validated.in_response_to:
        request_id = validated.in_response_to
        pending = pending_request_consume(
            group=group, request_id=request_id, now=now, answered_until=validated.replay_until
        )
        if pending is None:
            if pending_request_spent(group=group, request_id=request_id, now=now):
                raise reject(reasons.REPLAY, f"the sign-in request {request_id[:100]!r} was already answered")
            raise reject(reasons.UNKNOWN_REQUEST, f"InResponseTo={request_id[:100]!r}")
        if not browser_matches(request=request, expected_hash=pending.browser_hash):
            present = "a different" if browser_cookie_present(request) else "no"
            raise reject(reasons.OTHER_BROWSER, f"{present} {AUTHN_COOKIE} cookie for request {pending.request_id!r}")
        next_path = safe_next_path(pending.next_path)
        force_authn = force_authn_take(request_id=validated.in_response_to)
        test = test or pending.is_test
    else:
        force_authn = False
        if test:  # a test reports on the request it sent, never on an unsolicited response
            raise reject(reasons.UNKNOWN_REQUEST, "a test sign-in needs the response to its own request")
        if not group.allow_idp_initiated:
            raise reject(reasons.UNSOLICITED_NOT_ALLOWED)
        next_path = safe_next_path(relay_state)
    if not assertion_consume(group=group, assertion_id=validated.assertion_id, until=validated.replay_until):
        raise reject(reasons.REPLAY, f"assertion ID {validated.assertion_id[:100]!r}")
    if not group.idp_entity_id:
        ssogroup_issuer_pin(group=group, issuer=validated.issuer, request=request)
    if test:
        return _test_result(group, validated)

    identity = identity_value(validated=validated, identity_attribute=group.identity_attribute)
    profile = profile_from_attributes(validated.attributes)
    user = sso_user_resolve(group=group, identity=identity, profile=profile, request=request, validated=validated)
    return SsoLoginResult(
        user=user,
        next_path=next_path,
        session_not_on_or_after=validated.session_not_on_or_after,
        force_authn=force_authn,
        authn_instant=validated.authn_instant,
    )


def _test_result(group: SSOGroup, validated) -> SsoLoginResult:
    user, rejected = None, None
    try:
        identity = identity_value(validated=validated, identity_attribute=group.identity_attribute)
        profile = profile_from_attributes(validated.attributes)
        user = sign_in_test_user_resolve(group=group, identity=identity, profile=profile, validated=validated)
    except SamlRejected as exc:
        rejected = exc
    report = sign_in_test_report_success(group=group, validated=validated, user=user, rejected=rejected)
    return SsoLoginResult(user=None, next_path="", session_not_on_or_after=None, test_report=report)


def reference_new() -> str:
    """A short code the user can quote to their admin; it finds the failure row."""
    return secrets.token_hex(5).upper()


def sso_login_failure_record(
    *, group: SSOGroup, rejected: SamlRejected, request: HttpRequest | None = None
) -> SSOLoginFailure:
    """The admin's diagnostics row plus the audit event; never raw XML, signatures or secrets."""
    failure = SSOLoginFailure.objects.create(
        group=group,
        time=clock.now(),
        reference=reference_new(),
        reason=rejected.reason.code,
        detail=rejected.detail[:1000],
        issuer=rejected.issuer[:1024],
        name_id=rejected.name_id[:512],
        name_id_format=rejected.name_id_format[:255],
        ip=client_ip(request) if request is not None else None,
    )
    logger.warning(
        "SSO sign-in refused: account=%s group=%s reason=%s reference=%s detail=%s",
        group.account_id,
        group.slug,
        rejected.reason.code,
        failure.reference,
        rejected.detail[:300],
    )
    claims = _claims(rejected)
    _failure_event(group, rejected.reason.code, request, target=rejected.name_id, reference=failure.reference, **claims)
    return failure


def _claims(rejected: SamlRejected) -> dict[str, Any]:
    """The issuer and NameID a refused response claimed. Nobody may have verified them: the actor stays
    anonymous, and the NameID is the event's target only marked ``target_claimed`` (searchable, so
    "alice" finds her failures, but never shown or linked as the user it was not proven to be)."""
    claims: dict[str, Any] = {"claimed_issuer": rejected.issuer[:1024], "claimed_name_id": rejected.name_id[:512]}
    if rejected.name_id:
        claims["target_claimed"] = True
    return claims


def _failure_event(
    group: SSOGroup, reason: str, request: HttpRequest | None, *, target: str = "", **changes: Any
) -> Event:
    """``sso_login_failure``: nobody was authenticated, so the actor is anonymous and the group a detail."""
    return event_record(
        account=group.account,
        event=SSOGroupEvent.SSO_LOGIN_FAILURE,
        actor=ANONYMOUS,
        target=target,
        outcome=Event.Outcome.FAILURE,
        reason=reason,
        request=request,
        changes={"group": group.slug, **changes},
    )


def sso_login_throttled_record(*, group: SSOGroup, limit: AcsLimit, request: HttpRequest | None = None) -> Event:
    """The one event a window's refusals leave: which limit, for which group."""
    return _failure_event(group, reasons.THROTTLED.code, request, limit=limit.scope)


def sso_login_success_record(*, group: SSOGroup, user: User, request: HttpRequest | None = None) -> Event:
    return event_record(
        account=group.account,
        event=SSOGroupEvent.SSO_LOGIN_SUCCESS,
        actor=user.username,
        target=user.username,
        request=request,
        changes={"group": group.slug},
    )


def sso_test_report_record(*, group: SSOGroup, report: dict[str, Any], request: HttpRequest | None = None) -> str:
    """Record an admin's test sign-in whose response passed every check (event ``sso_test_sign_in``,
    outcome success, or failure with the identity's reason) and keep its report; returns its key."""
    user = report.get("user")
    if report["ok"] and user:  # proven: the signed response maps to this user
        _test_event(group, report, request, actor=report.get("issuer", ""), target=user["username"])
    else:  # a NameID no user (yet) answers to: a claim, as in a failure
        claims = {"claimed_name_id": report.get("name_id", "")[:512], "target_claimed": bool(report.get("name_id"))}
        _test_event(group, report, request, actor=report.get("issuer", ""), target=report.get("name_id", ""), **claims)
    return sign_in_test_report_store(report)


def sso_test_failure_record(*, group: SSOGroup, rejected: SamlRejected, request: HttpRequest | None = None) -> str:
    """A refused test response: recorded and counted like every test outcome, as ``sso_test_sign_in``
    with its reason, never as a real ``sso_login_failure`` (nor in the group's failure chart)."""
    report = sign_in_test_report_failure(group=group, rejected=rejected)
    logger.info(
        "SSO test sign-in refused: account=%s group=%s reason=%s detail=%s",
        group.account_id,
        group.slug,
        rejected.reason.code,
        rejected.detail[:300],
    )
    _test_event(group, report, request, actor=ANONYMOUS, target=rejected.name_id, **_claims(rejected))
    return sign_in_test_report_store(report)


def _test_event(
    group: SSOGroup, report: dict[str, Any], request: HttpRequest | None, *, actor: str, target: str, **changes: Any
) -> Event:
    return event_record(
        account=group.account,
        event=SSOGroupEvent.SSO_TEST_SIGN_IN,
        actor=actor,
        target=target,
        outcome=Event.Outcome.SUCCESS if report["ok"] else Event.Outcome.FAILURE,
        reason=report.get("reason", ""),
        request=request,
        changes={"group": group.slug, **{k: v for k, v in changes.items() if v}},
    )
