"""Server-side SAML request state: pending AuthnRequests and single-use assertion IDs.

Both live in the database, not in the session cookie: the IdP's cross-site POST arrives without
SameSite=Lax cookies, and every worker behind a load balancer must see the same state.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.errors import OneLogin_Saml2_Error
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from sparksso import clock, throttle
from sparksso.redirects import safe_next_path
from ssogroups.constants import BINDING_POST
from ssogroups.models import ConsumedAssertion, PendingAuthnRequest, SSOGroup
from ssogroups.saml import reasons
from ssogroups.saml.browser_secret import MAX_SECRETS
from ssogroups.saml.errors import SamlRejected
from ssogroups.saml.request_signing import post_request_signed, redirect_query_signed

PENDING_TTL = timedelta(minutes=10)
# A browser's pending request is sent again (instead of a new row) while it has this long left.
REUSE_MIN_LEFT = timedelta(minutes=5)
TEST_RELAY_PREFIX = "sparksso-test:"
ASSERTION_ID_MAX = ConsumedAssertion._meta.get_field("assertion_id").max_length


@dataclass(frozen=True)
class AuthnStart:
    """How to send the browser to the IdP: a redirect URL, or a form to POST (binding == POST).

    No RelayState for sign-in: the pending request (found by InResponseTo) holds ``next`` and the
    browser secret. A test sign-in sends one that names its request (``pending_test_peek``).
    """

    binding: str
    url: str
    saml_request: str
    request_id: str
    relay_state: str = ""
    reused: bool = False  # the browser's own pending request, sent again: no new row was written
    browser_hash: str = ""  # the hash the pending request is bound to (a reused one's own)


class _AuthnRequest(OneLogin_Saml2_Authn_Request):
    """python3-saml's AuthnRequest, with the ID of a pending request when one is sent again
    (``_generate_request_id`` is the library's hook for choosing the ID)."""

    def __init__(self, settings: OneLogin_Saml2_Settings, *, request_id: str | None, force_authn: bool):
        self._request_id = request_id
        super().__init__(settings, force_authn=force_authn)

    def _generate_request_id(self) -> str:
        return self._request_id or super()._generate_request_id()


def _force_authn_key(request_id: str) -> str:
    return f"saml-force-authn:{request_id}"


def force_authn_take(*, request_id: str) -> bool:
    """True once if ``request_id`` was sent with ForceAuthn (a re-authentication round trip).

    The marker is a row of the failure-counter table (sparksso.throttle), not a cache entry: a
    flood of cache keys cannot evict it.
    """
    return throttle.hold_take(_force_authn_key(request_id))


def _pending_reusable(*, group: SSOGroup, browser_hashes: Sequence[str], next_path: str) -> tuple[str, str] | None:
    """(ID, browser hash) of this browser's own pending sign-in to this group (same ``next``, not a
    test, not a re-authentication, with time left), so a reload or a second tab writes no new row.
    ``browser_hashes`` are the hashes of the secrets the browser presents (each start issued one)."""
    if not browser_hashes:
        return None
    now = clock.now()
    candidates = PendingAuthnRequest.objects.filter(
        group=group,
        browser_hash__in=list(browser_hashes)[:MAX_SECRETS],
        next_path=next_path,
        is_test=False,
        spent_at=None,  # an answered request is never sent again: its answer would be a replay
        expires_at__gt=now + REUSE_MIN_LEFT,
    ).values_list("request_id", "browser_hash")
    for request_id, browser_hash in candidates.order_by("-expires_at")[:3]:
        if throttle.hold_until(_force_authn_key(request_id)) is None:
            return request_id, browser_hash
    return None


def authn_request_start(
    *,
    group: SSOGroup,
    settings: dict,
    next_path: str,
    browser_hash: str,
    reuse_hashes: Sequence[str] = (),
    force_authn: bool = False,
    is_test: bool = False,
) -> AuthnStart:
    """Build an AuthnRequest with a fresh ID and remember it for 10 minutes, with ``next`` and the
    hash of the starting browser's secret (ssogroups.saml.browser_secret) — or, when this browser already
    has a pending request to this group for the same ``next`` with time left, send that one again.

    ``force_authn`` asks the IdP to authenticate the user again rather than answer from its own
    session; the marker (a row in the counter table, for as long as the request is pending) lets the ACS
    count only such a response as a recent authentication.

    ``is_test``: an admin's test sign-in; its response is reported, never signed in. Only a test
    sends a RelayState (TEST_RELAY_PREFIX + the request ID), so the ACS can report even a response
    that fails before its InResponseTo is read.
    """
    endpoint = settings["idp"]["singleSignOnService"]
    if not endpoint["url"]:
        raise SamlRejected(reasons.GROUP_MISCONFIGURED, "no IdP SSO endpoint")
    if not settings["idp"]["entityId"]:
        # Not pinned yet. The AuthnRequest never names the IdP (its Destination is the endpoint), but
        # python3-saml's settings check wants an entity ID: give it the endpoint, for building only.
        settings = {**settings, "idp": {**settings["idp"], "entityId": endpoint["url"]}}
    next_path = safe_next_path(next_path)
    reuse = None
    if not force_authn and not is_test:
        found = _pending_reusable(group=group, browser_hashes=reuse_hashes, next_path=next_path)
        if found is not None:
            reuse, browser_hash = found
    try:
        authn = _AuthnRequest(OneLogin_Saml2_Settings(settings), request_id=reuse, force_authn=force_authn)
    except OneLogin_Saml2_Error as exc:
        raise SamlRejected(reasons.GROUP_MISCONFIGURED, str(exc)) from exc
    now = clock.now()
    if reuse is None:
        PendingAuthnRequest.objects.create(
            request_id=authn.get_id(),
            group=group,
            browser_hash=browser_hash,
            next_path=next_path,
            is_test=is_test,
            created_at=now,
            expires_at=now + PENDING_TTL,
        )
    if force_authn:
        throttle.hold_set(_force_authn_key(authn.get_id()), until=now + PENDING_TTL)
    post = endpoint["binding"] == BINDING_POST
    saml_request = authn.get_request(deflate=not post)
    relay_state = TEST_RELAY_PREFIX + authn.get_id() if is_test else ""
    url = endpoint["url"]
    sp = settings["sp"]
    # Signed when the IdP asks or the group's policy says so (ssogroups.saml.config), with our current key.
    signed = settings["security"]["authnRequestsSigned"]
    if post and signed:
        saml_request = post_request_signed(
            request_xml=authn.get_xml(), private_key_pem=sp["privateKey"], certificate_pem=sp["x509cert"]
        )
    if not post:
        if signed:
            query = redirect_query_signed(
                saml_request=saml_request, relay_state=relay_state, private_key_pem=sp["privateKey"]
            )
        else:
            query = urlencode({"SAMLRequest": saml_request} | ({"RelayState": relay_state} if relay_state else {}))
        url += ("&" if "?" in url else "?") + query
    return AuthnStart(
        binding=endpoint["binding"],
        url=url,
        saml_request=saml_request,
        request_id=authn.get_id(),
        relay_state=relay_state,
        reused=reuse is not None,
        browser_hash=browser_hash,
    )


def pending_request_consume(
    *, group: SSOGroup, request_id: str, now: datetime, answered_until: datetime | None = None
) -> PendingAuthnRequest | None:
    """The pending request ``request_id`` of *this* group, marked spent so it answers once; else None.

    The spent row stays until ``answered_until`` (the answer's own validity) when that is later than the
    request's expiry, so the same answer posted again is found by ``pending_request_spent``.
    It's crucial for security that the lookup is scoped to the group: a request started for
    another group (or account) must not validate this response.
    """
    pending = (
        PendingAuthnRequest.objects.filter(group=group, request_id=request_id, expires_at__gt=now, spent_at=None)
        .order_by()
        .first()
    )
    if pending is None:
        return None
    keep = max(pending.expires_at, answered_until) if answered_until else pending.expires_at
    # Conditional update: of two workers answering the same request, exactly one marks it.
    spent = PendingAuthnRequest.objects.filter(pk=pending.pk, spent_at=None).update(spent_at=now, expires_at=keep)
    return pending if spent else None


def pending_request_spent(*, group: SSOGroup, request_id: str, now: datetime) -> bool:
    """Did a response already answer this group's request ``request_id`` (a replay, not an unknown request)?"""
    return PendingAuthnRequest.objects.filter(
        group=group, request_id=request_id, expires_at__gt=now, spent_at__isnull=False
    ).exists()


def pending_test_peek(*, group: SSOGroup, relay_state: str, now: datetime) -> PendingAuthnRequest | None:
    """The group's pending *test* request this RelayState names, without consuming it.

    Only tells the ACS to report instead of sign in (the safe direction); the response itself must
    still answer that request (InResponseTo) to be reported as a success.
    """
    if not relay_state.startswith(TEST_RELAY_PREFIX) or len(relay_state) > 128:
        return None
    request_id = relay_state.removeprefix(TEST_RELAY_PREFIX)
    # A spent test request still names a test: its answer posted again is reported, never signed in.
    return PendingAuthnRequest.objects.filter(
        group=group, request_id=request_id, is_test=True, expires_at__gt=now
    ).first()


def assertion_consume(*, group: SSOGroup, assertion_id: str, until: datetime) -> bool:
    """Record the assertion ID as used; False if it already was. The unique constraint decides races."""
    if not assertion_id or len(assertion_id) > ASSERTION_ID_MAX:
        raise SamlRejected(reasons.INVALID_RESPONSE, "assertion ID missing or too long")
    try:
        with transaction.atomic():
            ConsumedAssertion.objects.create(
                group=group, assertion_id=assertion_id, not_on_or_after=until, consumed_at=clock.now()
            )
    except IntegrityError:
        return False
    return True
