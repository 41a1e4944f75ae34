"""Bearer-token authentication for the SCIM API, with throttles that cannot lock out a valid token.

Failures count per client address (``sparksso.middleware.client_ip``, so TRUSTED_PROXIES decides
what an address is) and, when the presented token prefix (the visible ``sso_scim_XXXX``) is a live
token's, per prefix; an unknown prefix counts per address only. A valid token
is checked first and always accepted: behind one reverse proxy every client may share an address,
and a token's prefix is shown to admins, so throttling before the check would let anyone lock
the IdP out. The throttle bounds what bad tokens cost (past the limit: 429, no event beyond one
per window); guessing is not a threat it has to stop, as a token carries 256 random bits.
"""

import re

from django.conf import settings

from accounts.events import event_record
from accounts.models import Event
from accounts.permissions import MSG_PLAN
from scim.constants import (
    MSG_AUTH_GROUP_DISABLED,
    MSG_AUTH_INVALID,
    MSG_AUTH_MISSING,
    MSG_AUTH_THROTTLED,
    SCIM_FEATURE,
)
from scim.errors import ScimError
from scim.event_types import ScimEvent
from scim.models import ScimToken
from scim.tokens import TOKEN_PREFIX, VISIBLE_CHARS, scim_token_authenticate, scim_token_touch, token_actor
from sparksso import throttle
from sparksso.middleware import client_ip

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="SCIM"'}
INVALID_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="SCIM", error="invalid_token"'}
PREFIX_RE = re.compile(re.escape(TOKEN_PREFIX) + "[A-Za-z0-9_-]{" + str(VISIBLE_CHARS) + "}")


def presented_prefix(credential: str) -> str:
    """The visible prefix of a presented token, ``other`` for anything not shaped like one."""
    match = PREFIX_RE.match(credential)
    return match.group(0) if match else "other"


def _names(request, credential: str) -> list[str]:
    """The address always; the presented prefix only when it is a live token's.

    Security-critical: a made-up prefix must not create a counter of its own, or a flood of them
    mints rows without end (and once filled the cache that held every other limit).
    """
    names = [f"scim-auth-fail:ip:{client_ip(request) or 'unknown'}"]
    prefix = presented_prefix(credential) if credential else "other"
    if prefix != "other" and ScimToken.objects.filter(prefix=prefix, revoked_at__isnull=True).exists():
        names.append(f"scim-auth-fail:prefix:{prefix}")
    return names


def _refuse(request, credential: str, *, reason: str, status_error: ScimError) -> ScimError:
    """Count the failure; past a limit answer 429, with one event per window instead of one per failure.

    Increment first, then compare: the increments are atomic, so however many failures arrive at
    once, exactly the limit's number get a 401 and an event.
    """
    window = settings.SCIM_AUTH_FAILURE_WINDOW_SECONDS
    limit = settings.SCIM_AUTH_FAILURE_LIMIT
    names = _names(request, credential)
    over = [name for name in names if throttle.failure_count_incr(name, window=window) > limit]
    if over:
        if throttle.first_refusal(over[0], window=window):
            _event(request, "throttled")
        return ScimError(429, MSG_AUTH_THROTTLED, headers={"Retry-After": str(throttle.retry_after(window=window))})
    _event(request, reason)
    return status_error


def _event(request, reason: str) -> None:
    # The presented token is never recorded, not even its prefix: it may be a secret pasted by mistake.
    event_record(
        account=None, event=ScimEvent.SCIM_AUTH_FAILURE, outcome=Event.Outcome.FAILURE, reason=reason, request=request
    )


def authenticate(request) -> ScimToken:
    """The request's active token, or a ScimError: 401, or 429 once bad tokens pass a limit."""
    return token_admit(request, token_identify(request))


def token_identify(request) -> ScimToken:
    """The token the request carries (a genuine one: its digest matched), or 401/429."""
    header = request.headers.get("Authorization", "")
    scheme, _, credential = header.partition(" ")
    credential = credential.strip() if scheme.lower() == "bearer" else ""
    token = scim_token_authenticate(plaintext=credential) if credential else None
    if token is None:
        if not credential:
            raise _refuse(
                request,
                "",
                reason="missing bearer token",
                status_error=ScimError(401, MSG_AUTH_MISSING, headers=CHALLENGE),
            )
        raise _refuse(
            request,
            credential,
            reason="unknown or revoked token",
            status_error=ScimError(401, MSG_AUTH_INVALID, headers=INVALID_CHALLENGE),
        )
    return token


def token_admit(request, token: ScimToken) -> ScimToken:
    """``token`` if it may act now: its account's plan has SCIM (else 403) and its group is enabled (else 401)."""
    if not token.account.has_sso:
        raise ScimError(403, MSG_PLAN.format(feature_cap=SCIM_FEATURE, plan=token.account.get_plan_display()))
    if not token.sso_group.enabled:
        # A token acts for its SSO group: while the group is disabled, the token provisions nothing.
        event_record(
            account=token.account,
            event=ScimEvent.SCIM_AUTH_FAILURE,
            actor=token_actor(token),
            outcome=Event.Outcome.FAILURE,
            reason="sso group disabled",
            request=request,
        )
        raise ScimError(401, MSG_AUTH_GROUP_DISABLED, headers=CHALLENGE)
    scim_token_touch(token=token)
    return token
