"""SAML sign-in writes: complete a sign-in from a posted response, record failures and successes."""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings as django_settings

from accounts.events import event_record
from accounts.models import Event, User
from sparksso import clock
from sparksso.middleware import client_ip
from sparksso.redirects import safe_next_path
from ssogroups.models import SSOGroup, SSOLoginFailure
from ssogroups.saml import reasons
from ssogroups.saml.acs import SamlRejected, validate_response
from ssogroups.saml.binding import AUTHN_COOKIE, browser_matches
from ssogroups.saml.config import saml_settings_for_group
from ssogroups.saml.identity import identity_value, profile_from_attributes, sso_user_resolve
from ssogroups.saml.request_store import (
    assertion_consume,
    authn_request_start,
    force_authn_take,
    pending_request_consume,
)
from ssogroups.saml.throttle import AcsLimit

logger = logging.getLogger(__name__)
ANONYMOUS = "anonymous"  # the actor of events caused by a request nobody could authenticate


@dataclass(frozen=True)
class SsoLoginResult:
    user: User
    next_path: str
    session_not_on_or_after: datetime | None
    force_authn: bool = False  # the answer to our ForceAuthn request: a proven, recent authentication


def _group_settings(group: SSOGroup) -> dict:
    pems = list(group.certificates.order_by("pk").values_list("pem", flat=True))
    return saml_settings_for_group(group, certificates_pem=pems)


def sso_login_start(*, group: SSOGroup, next_path: str, browser_hash: str, force_authn: bool = False):
    """Begin SP-initiated sign-in: an AuthnStart (redirect URL or POST form) for the browser."""
    return authn_request_start(
        group=group,
        settings=_group_settings(group),
        next_path=next_path,
        browser_hash=browser_hash,
        force_authn=force_authn,
    )


def sso_login_consume(*, group: SSOGroup, saml_response: str, relay_state: str, request) -> SsoLoginResult:
    """Validate a posted response and resolve the user it signs in; raises SamlRejected.

    The pending request (InResponseTo) and the assertion ID are consumed once validation
    passes, so a response is single-use even if the user is then refused. A solicited response
    must come from the browser that started the request (ssogroups.saml.binding).
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
        return SamlRejected(reason, detail, issuer=validated.issuer, name_id=validated.name_id)

    if validated.in_response_to:
        pending = pending_request_consume(group=group, request_id=validated.in_response_to, now=now)
        if pending is None:
            raise reject(reasons.UNKNOWN_REQUEST, f"InResponseTo={validated.in_response_to[:100]!r}")
        if not browser_matches(request=request, expected_hash=pending.browser_hash):
            present = "a different" if request.COOKIES.get(AUTHN_COOKIE) else "no"
            raise reject(reasons.OTHER_BROWSER, f"{present} {AUTHN_COOKIE} cookie for request {pending.request_id!r}")
        next_path = safe_next_path(pending.next_path)
        force_authn = force_authn_take(request_id=validated.in_response_to)
    else:
        force_authn = False
        if not group.allow_idp_initiated:
            raise reject(reasons.UNSOLICITED_NOT_ALLOWED)
        next_path = safe_next_path(relay_state)
    if not assertion_consume(group=group, assertion_id=validated.assertion_id, until=validated.replay_until):
        raise reject(reasons.REPLAY, f"assertion ID {validated.assertion_id[:100]!r}")

    identity = identity_value(validated=validated, identity_attribute=group.identity_attribute)
    user = sso_user_resolve(
        group=group, identity=identity, profile=profile_from_attributes(validated.attributes), request=request
    )
    return SsoLoginResult(
        user=user,
        next_path=next_path,
        session_not_on_or_after=validated.session_not_on_or_after,
        force_authn=force_authn,
    )


def reference_new() -> str:
    """A short code the user can quote to their admin; it finds the failure row."""
    return secrets.token_hex(5).upper()


def sso_login_failure_record(*, group: SSOGroup, rejected: SamlRejected, request=None) -> SSOLoginFailure:
    """The admin's diagnostics row plus the audit event; never raw XML, signatures or secrets."""
    failure = SSOLoginFailure.objects.create(
        group=group,
        time=clock.now(),
        reference=reference_new(),
        reason=rejected.reason.code,
        detail=rejected.detail[:1000],
        issuer=rejected.issuer[:1024],
        name_id=rejected.name_id[:512],
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
    # The issuer and NameID may come from a response nobody verified: they are kept as claimed
    # values, never as the event's actor or target, which the event log presents as facts.
    event_record(
        account=group.account,
        event="sso_login_failure",
        actor=ANONYMOUS,
        outcome=Event.Outcome.FAILURE,
        reason=rejected.reason.code,
        request=request,
        changes={
            "group": group.slug,
            "reference": failure.reference,
            "claimed_issuer": rejected.issuer[:1024],
            "claimed_name_id": rejected.name_id[:512],
        },
    )
    return failure


def sso_login_throttled_record(*, group: SSOGroup, limit: AcsLimit, request=None) -> Event:
    """The one event a window's refusals leave: which limit, for which group."""
    return event_record(
        account=group.account,
        event="sso_login_failure",
        actor=ANONYMOUS,
        outcome=Event.Outcome.FAILURE,
        reason=reasons.THROTTLED.code,
        request=request,
        changes={"group": group.slug, "limit": limit.scope},
    )


def sso_login_success_record(*, group: SSOGroup, user: User, request=None) -> Event:
    return event_record(
        account=group.account,
        event="sso_login_success",
        actor=user.username,
        target=user.username,
        request=request,
        changes={"group": group.slug},
    )
