"""Limits on failed posts to a group's ACS, per client address and per group.

Why two limits with different effects: an address past its limit is refused before its post is
read (signature checks cost CPU); a group past its limit keeps validating, so its users still
sign in, but further failures are answered 429 without a diagnostics row or event, so a flood
from many addresses cannot fill the tables. Each limit writes one ``sso_login_failure`` event
with reason ``throttled`` per window, then nothing more until the window ends.

Starting a sign-in (GET of a group's ``/login``) writes a pending-request row, so new starts are
limited too, per client address and group (``SSO_LOGIN_START_LIMIT``); a browser's own pending
request sent again is not a new start and is not counted.
"""

from dataclasses import dataclass

from django.conf import settings

from sparksso import throttle
from ssogroups.models import SSOGroup


@dataclass(frozen=True)
class AcsLimit:
    scope: str  # "address", "group" or "start": which limit was reached
    first: bool  # the first refusal of this window, the one that records an event


def _names(group: SSOGroup, ip: str | None) -> dict[str, tuple[str, int]]:
    return {
        "address": (f"acs-fail:ip:{ip or 'unknown'}", settings.SSO_ACS_FAILURE_LIMIT),
        "group": (f"acs-fail:group:{group.pk}", settings.SSO_ACS_GROUP_FAILURE_LIMIT),
    }


def _limit(scope: str, name: str) -> AcsLimit:
    """Mark ``name`` refused for this window; ``first`` is True exactly once per window."""
    return AcsLimit(scope=scope, first=throttle.first_refusal(name, window=settings.SSO_ACS_FAILURE_WINDOW_SECONDS))


def acs_address_limited(*, group: SSOGroup, ip: str | None) -> AcsLimit | None:
    """The address's limit when it has used up its failures in this window; checked before reading."""
    name, limit = _names(group, ip)["address"]
    if throttle.failure_count(name, window=settings.SSO_ACS_FAILURE_WINDOW_SECONDS) >= limit:
        return _limit("address", name)
    return None


def acs_failure_count(*, group: SSOGroup, ip: str | None) -> AcsLimit | None:
    """Count one failed post for the address and the group; the limit it went past, if any.

    The increments are atomic, so at most the limit's number of failures per window get a
    diagnostics row and an event, however many arrive at once.
    """
    window = settings.SSO_ACS_FAILURE_WINDOW_SECONDS
    passed = None
    for scope, (name, limit) in _names(group, ip).items():
        if throttle.failure_count_incr(name, window=window) > limit and passed is None:
            passed = _limit(scope, name)
    return passed


def acs_retry_after() -> int:
    """Seconds until the current ACS window ends (the Retry-After header)."""
    return throttle.retry_after(window=settings.SSO_ACS_FAILURE_WINDOW_SECONDS)


def _start_name(group: SSOGroup, ip: str | None) -> str:
    return f"saml-start:ip:{ip or 'unknown'}:group:{group.pk}"


def login_start_limited(*, group: SSOGroup, ip: str | None) -> AcsLimit | None:
    """The start limit, when this address has started its allowance of sign-ins to the group."""
    window = settings.SSO_LOGIN_START_WINDOW_SECONDS
    name = _start_name(group, ip)
    if throttle.failure_count(name, window=window) >= settings.SSO_LOGIN_START_LIMIT:
        return AcsLimit(scope="start", first=throttle.first_refusal(name, window=window))
    return None


def login_start_count(*, group: SSOGroup, ip: str | None) -> None:
    """Count one new start (a pending row written) for the address and group."""
    throttle.failure_count_incr(_start_name(group, ip), window=settings.SSO_LOGIN_START_WINDOW_SECONDS)


def login_start_retry_after() -> int:
    return throttle.retry_after(window=settings.SSO_LOGIN_START_WINDOW_SECONDS)
