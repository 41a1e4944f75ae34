"""Single Logout writes: keep each SSO session's NameID and SessionIndex, send our LogoutRequest, take
the IdP's LogoutResponse, and end the sessions an IdP's LogoutRequest names. Checks live in logout.py.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import xmlsec
from django.conf import settings as django_settings
from django.http import HttpRequest
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.errors import OneLogin_Saml2_Error

from accounts.events import event_record
from accounts.models import UserSession
from accounts.sessions import sessions_end
from sparksso import clock, throttle
from ssogroups.constants import NAMEID_UNSPECIFIED
from ssogroups.event_types import SSOGroupEvent
from ssogroups.models import SSOCertificate, SSOGroup, SSOLoginFailure, SSOSession
from ssogroups.saml import reasons
from ssogroups.saml.acs import ValidatedAssertion
from ssogroups.saml.config import saml_settings_for_group
from ssogroups.saml.errors import SamlRejected
from ssogroups.saml.logout import (
    Outgoing,
    SessionClaims,
    logout_request_build,
    logout_response_build,
    logout_settings_extend,
    slo_endpoint_choose,
)
from ssogroups.saml.logout_checks import Received, logout_request_validate, logout_response_validate
from ssogroups.saml.request_store import PENDING_TTL, assertion_consume
from ssogroups.saml.services import sso_failure_record
from ssogroups.sp_keys import SPKeyError, sp_key_current

# What building or signing our own message can raise: no usable SP key, settings python3-saml refuses.
BUILD_ERRORS = (SPKeyError, SamlRejected, OneLogin_Saml2_Error, xmlsec.Error)


def _clock_skew() -> timedelta:
    return timedelta(seconds=django_settings.SAML_CLOCK_SKEW_SECONDS)


def _certificates(group: SSOGroup) -> list[str]:
    # The certificates the group trusts now: a removed one fails the very next message.
    return list(SSOCertificate.objects.filter(group_id=group.pk).order_by("pk").values_list("pem", flat=True))


def _logout_settings(group: SSOGroup, certificates: list[str], *, signing: bool = True) -> dict:
    """Settings to sign our messages with the current SP key (SPKeyError when it is unusable), or
    (``signing=False``) only to check the IdP's, which needs no key of ours."""
    key = sp_key_current() if signing else None
    return logout_settings_extend(
        saml_settings_for_group(group, certificates_pem=certificates),
        sp_slo_url=group.sp_slo_url,
        endpoint=slo_endpoint_choose(metadata_xml=group.metadata_xml, slo_url=group.slo_url),
        private_key_pem=key.private_key_pem if key else "",
        certificate_pem=key.certificate_pem if key else "",
    )


def _pending_key(group: SSOGroup, request_id: str) -> str:
    return f"saml-logout-request:{group.pk}:{request_id}"


# --- the session's NameID and SessionIndex --------------------------------------------------------


def sso_session_record(
    *, group: SSOGroup, session_key: str, validated: ValidatedAssertion | None, expires_at: datetime
) -> None:
    """Keep what the sign-in's assertion said about the session, with the session (one upsert).

    Only for a group whose IdP has an SLO endpoint: without one there is nobody to exchange logout
    messages with, and a sign-in stays the 8 statements docs/performance.md counts.
    """
    if not group.slo_url or validated is None or not validated.name_id or not session_key:
        return
    SSOSession.objects.bulk_create(
        [
            SSOSession(
                group=group,
                user_session_id=session_key,
                name_id=validated.name_id[:512],
                name_id_format=validated.name_id_format[:255],
                name_qualifier=validated.name_qualifier[:1024],
                sp_name_qualifier=validated.sp_name_qualifier[:1024],
                session_index=validated.session_index[:256],
                created_at=clock.now(),
                expires_at=expires_at,
            )
        ],
        update_conflicts=True,
        unique_fields=["user_session"],
        update_fields=["group", "name_id", "name_id_format", "name_qualifier", "sp_name_qualifier", "session_index"],
    )


def sso_session_claims(*, session_key: str) -> tuple[SSOGroup, SessionClaims] | None:
    """The group and claims of an SSO session whose group has an IdP SLO endpoint and is usable; else None."""
    row = (
        SSOSession.objects.select_related("group__account")
        .filter(user_session_id=session_key, group__enabled=True)
        .exclude(group__slo_url="")
        .first()
    )
    if row is None:
        return None
    claims = SessionClaims(
        name_id=row.name_id,
        name_id_format=row.name_id_format,
        name_qualifier=row.name_qualifier,
        sp_name_qualifier=row.sp_name_qualifier,
        session_index=row.session_index,
    )
    return row.group, claims


# --- SP-initiated: our LogoutRequest, the IdP's LogoutResponse ------------------------------------


def sso_logout_start(
    *, group: SSOGroup, claims: SessionClaims, username: str, request: HttpRequest | None = None
) -> Outgoing | None:
    """Our signed LogoutRequest for a session that has already ended here, remembered for its answer;
    None (and a failure recorded) when it cannot be built: the user is signed out here regardless."""
    endpoint = slo_endpoint_choose(metadata_xml=group.metadata_xml, slo_url=group.slo_url)
    try:
        outgoing = logout_request_build(
            settings=_logout_settings(group, _certificates(group)), endpoint=endpoint, session=claims
        )
    except BUILD_ERRORS as exc:
        detail = exc.detail if isinstance(exc, SamlRejected) else str(exc)
        rejected = SamlRejected(reasons.LOGOUT_NOT_SENT, detail, name_id=claims.name_id)
        sso_logout_failure_record(group=group, rejected=rejected, request=request)
        return None
    throttle.hold_set(_pending_key(group, outgoing.message_id), until=clock.now() + PENDING_TTL)
    event_record(
        account=group.account,
        event=SSOGroupEvent.SSO_LOGOUT_START,
        actor=username,
        target=username,
        request=request,
        changes={"group": group.slug, "binding": outgoing.binding, "request_id": outgoing.message_id},
    )
    return outgoing


def _received_validate(group: SSOGroup, received: Received, validate: Callable):
    """The IdP's logout message checked by ``validate`` against the group's certificates and our SLO URL."""
    certificates = _certificates(group)
    return validate(
        received,
        settings=_logout_settings(group, certificates, signing=False),
        certificates=certificates,
        slo_url=group.sp_slo_url,
        allow_sha1=group.allow_sha1,
        now=clock.now(),
        clock_skew=_clock_skew(),
    )


def sso_logout_response_consume(*, group: SSOGroup, received: Received, request: HttpRequest | None = None) -> None:
    """Check the IdP's LogoutResponse to one of our pending LogoutRequests (each answered once);
    raises SamlRejected."""
    validated = _received_validate(group, received, logout_response_validate)
    if not throttle.hold_take(_pending_key(group, validated.in_response_to)):
        detail = f"InResponseTo={validated.in_response_to[:100]!r}"
        raise SamlRejected(reasons.LOGOUT_UNKNOWN_REQUEST, detail, issuer=validated.issuer)
    if validated.status != C.STATUS_SUCCESS:
        raise SamlRejected(reasons.LOGOUT_IDP_ERROR_STATUS, validated.status[:200], issuer=validated.issuer)
    event_record(
        account=group.account,
        event=SSOGroupEvent.SSO_LOGOUT_COMPLETE,
        actor=validated.issuer,
        request=request,
        changes={"group": group.slug, "in_response_to": validated.in_response_to},
    )


# --- IdP-initiated: the IdP's LogoutRequest, our LogoutResponse -----------------------------------


@dataclass(frozen=True)
class IdpLogoutResult:
    ended: int
    answer: Outgoing | None  # our LogoutResponse; None when the group has no IdP SLO endpoint to send it to


def _formats_match(stored: str, asked: str) -> bool:
    unspecified = ("", NAMEID_UNSPECIFIED)
    return stored == asked or stored in unspecified or asked in unspecified


def sso_logout_request_consume(
    *, group: SSOGroup, received: Received, request: HttpRequest | None = None
) -> IdpLogoutResult:
    """End the sessions of ``group`` that the IdP's signed LogoutRequest names; raises SamlRejected
    (nothing ended) for any refusal, including a replay."""
    validated = _received_validate(group, received, logout_request_validate)
    if not assertion_consume(group=group, assertion_id=f"logout:{validated.message_id}", until=validated.replay_until):
        raise SamlRejected(
            reasons.LOGOUT_REPLAY,
            f"ID {validated.message_id[:100]!r}",
            issuer=validated.issuer,
            name_id=validated.name_id,
        )
    # It is *crucial* that only this group's sessions, of users of this group's account, are matched:
    # an IdP speaks for the sessions it opened, never for another group's or another account's.
    rows = SSOSession.objects.filter(
        group=group, name_id=validated.name_id, user_session__user__account_id=group.account_id
    )
    if validated.session_indexes:
        rows = rows.filter(session_index__in=validated.session_indexes)
    keys = [
        key
        for key, stored in rows.values_list("user_session_id", "name_id_format")
        if _formats_match(stored, validated.name_id_format)
    ]
    ended = sessions_end(UserSession.objects.filter(session_key__in=keys, user__account_id=group.account_id))
    event_record(
        account=group.account,
        event=SSOGroupEvent.SSO_LOGOUT_IDP,
        actor=validated.issuer,
        target=validated.name_id,
        request=request,
        changes={
            "group": group.slug,
            "sessions_ended": ended,
            "session_indexes": list(validated.session_indexes)[:10],
            "request_id": validated.message_id,
        },
    )
    answer = None
    endpoint = slo_endpoint_choose(metadata_xml=group.metadata_xml, slo_url=group.slo_url)
    if endpoint is not None:
        try:
            answer = logout_response_build(
                settings=_logout_settings(group, _certificates(group)),
                endpoint=endpoint,
                in_response_to=validated.message_id,
                relay_state=received.relay_state,
            )
        except BUILD_ERRORS as exc:  # ended here all the same; the IdP hears nothing back
            rejected = SamlRejected(reasons.LOGOUT_NOT_SENT, str(exc), issuer=validated.issuer)
            sso_logout_failure_record(group=group, rejected=rejected, request=request)
    return IdpLogoutResult(ended=ended, answer=answer)


# --- refusals ------------------------------------------------------------------------------------


def sso_logout_failure_record(
    *, group: SSOGroup, rejected: SamlRejected, request: HttpRequest | None = None
) -> SSOLoginFailure:
    """The admin's diagnostics row (beside the sign-in failures, same reasons table) and the event."""
    return sso_failure_record(
        group=group, rejected=rejected, request=request, event=SSOGroupEvent.SSO_LOGOUT_FAILURE, what="Single Logout"
    )
