"""Bearer-token authentication for the SCIM API, with a per-IP throttle on failures."""

from django.conf import settings

from accounts.events import event_record
from accounts.models import Event
from scim.constants import MSG_AUTH_GROUP_DISABLED, MSG_AUTH_INVALID, MSG_AUTH_MISSING, MSG_AUTH_THROTTLED, MSG_PLAN
from scim.errors import ScimError
from scim.models import ScimToken
from scim.tokens import scim_token_authenticate, scim_token_touch, token_actor
from sparksso.middleware import client_ip
from sparksso.throttle import failure_count, failure_count_incr

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="SCIM"'}


def _key(ip: str | None) -> str:
    return f"scim-auth-fail:{ip or 'unknown'}"


def _failure_record(request, reason: str) -> None:
    failure_count_incr(_key(client_ip(request)), window=settings.SCIM_AUTH_FAILURE_WINDOW_SECONDS)
    # The presented token is never recorded, not even in part.
    event_record(account=None, event="scim_auth_failure", outcome=Event.Outcome.FAILURE, reason=reason, request=request)


def authenticate(request) -> ScimToken:
    """The request's active token, or a ScimError: 429 when throttled, 401 otherwise."""
    if failure_count(_key(client_ip(request))) >= settings.SCIM_AUTH_FAILURE_LIMIT:
        retry_after = str(settings.SCIM_AUTH_FAILURE_WINDOW_SECONDS)
        raise ScimError(429, MSG_AUTH_THROTTLED, headers={"Retry-After": retry_after})
    header = request.headers.get("Authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        _failure_record(request, "missing bearer token")
        raise ScimError(401, MSG_AUTH_MISSING, headers=CHALLENGE)
    token = scim_token_authenticate(plaintext=credential.strip())
    if token is None:
        _failure_record(request, "unknown or revoked token")
        raise ScimError(
            401, MSG_AUTH_INVALID, headers={"WWW-Authenticate": 'Bearer realm="SCIM", error="invalid_token"'}
        )
    if not token.account.has_sso:
        raise ScimError(403, MSG_PLAN)
    if not token.sso_group.enabled:
        # A token acts for its SSO group: while the group is disabled, the token provisions nothing.
        event_record(
            account=token.account,
            event="scim_auth_failure",
            actor=token_actor(token),
            outcome=Event.Outcome.FAILURE,
            reason="sso group disabled",
            request=request,
        )
        raise ScimError(401, MSG_AUTH_GROUP_DISABLED, headers=CHALLENGE)
    scim_token_touch(token=token)
    return token
