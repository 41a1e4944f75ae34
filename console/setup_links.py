"""Setup links: let the customer's IT person set up one SSO group without a sparksso account.

An admin (with a recent sign-in) creates a link for one group and one email address. Whoever opens it
proves she reads that mailbox with a one-time code; her browser then holds a secret scoped to the
link (a signed cookie on the link's own path, never a User login) and sees only that group. What she
changes goes through the same intake and trust gate as the admin's pages, with the link as the actor.

Secrets at rest: the token as a SHA-256 digest (like SCIM tokens), the code as an HMAC keyed by
SECRET_KEY (six digits have too few values for a plain digest), the browser's secret as a digest.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from accounts.events import event_record
from accounts.models import Account, Event, User
from console.event_types import ConsoleEvent
from console.models import SetupLink
from sparksso import clock, throttle
from ssogroups.models import SSOGroup

TOKEN_PREFIX = "sso_setup_"
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 200
DEFAULT_DAYS = 7
MAX_DAYS = 30
CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5  # wrong codes per window, per link; then the current code is void
CODE_WINDOW = 15 * 60
CODE_SENDS = 5  # codes per hour, per link: the mailbox is not ours to flood
SEND_WINDOW = 60 * 60
SESSION_HOURS = 12  # a confirmed browser reads the link's pages this long; changes need a recent code

MSG_GROUP_FOREIGN = "That SSO group does not belong to this account."
MSG_DAYS = f"A setup link lasts from 1 to {MAX_DAYS} days."
MSG_CODE_WRONG = "That code is not right. Check the latest email and try again."
MSG_CODE_EXPIRED = "That code has expired or was already used. Send a new one."
MSG_CODE_THROTTLED = "Too many wrong codes. Wait a few minutes, then send a new code."
MSG_SEND_THROTTLED = "Too many codes were sent for this link. Wait an hour and try again."
MSG_NOT_ALLOWED_ENABLE = "This setup link does not allow enabling the group. Ask the admin who sent it to enable it."
MSG_NOT_ALLOWED_SCIM = "This setup link does not allow SCIM tokens. Ask the admin who sent it for one."
MAIL_SUBJECT = "Your sparksso setup code"
MAIL_BODY = (
    "Your code to set up single sign-on for {account} is {code}.\n\n"
    "It works for 10 minutes. If you did not ask for it, ignore this email."
)


def token_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _code_digest(link: SetupLink, code: str) -> str:
    return salted_hmac("sparksso.setup-link-code", f"{link.public_id}:{code}").hexdigest()


def link_target(link: SetupLink) -> str:
    """How events name a link: by its public id, never its token."""
    return f"setup-link:{link.public_id}"


def link_actor(link: SetupLink) -> str:
    """The actor of whatever the link's holder does: the link and the email it is bound to."""
    return f"{link_target(link)} {link.email}"


def link_is_active(link: SetupLink) -> bool:
    return link.revoked_at is None and link.expires_at > clock.now()


def link_status(link: SetupLink) -> str:
    if link.revoked_at is not None:
        return "revoked"
    return "active" if link.expires_at > clock.now() else "expired"


def _event(link: SetupLink, event: ConsoleEvent, request: HttpRequest | None, **details) -> Event:
    return event_record(
        account=link.account, event=event, actor=link_actor(link), target=link_target(link), request=request, **details
    )


# --- the admin's side ------------------------------------------------------------------------------


def setup_link_create(
    *,
    account: Account,
    group: SSOGroup,
    email: str,
    created_by: User,
    days: int = DEFAULT_DAYS,
    allow_enable: bool = False,
    allow_scim_tokens: bool = False,
    request: HttpRequest | None = None,
) -> tuple[SetupLink, str]:
    """Mint a link for ``group``; the token is returned here once and stored only as a digest."""
    if group.account_id != account.pk:  # crucial: a link sets up a group of its own account only
        raise ValidationError(MSG_GROUP_FOREIGN)
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(MSG_DAYS)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    link = SetupLink(
        account=account,
        group=group,
        public_id=secrets.token_hex(6),
        digest=token_digest(plaintext),
        email=email.strip(),
        allow_enable=allow_enable,
        allow_scim_tokens=allow_scim_tokens,
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    with transaction.atomic():
        link.save()
        changes = {"group": group.slug, "email": link.email, "expires_at": link.expires_at.isoformat()}
        changes |= {"allow_enable": allow_enable, "allow_scim_tokens": allow_scim_tokens}
        event_record(
            account=account,
            event=ConsoleEvent.SETUP_LINK_CREATE,
            actor=created_by.username,
            target=link_target(link),
            request=request,
            changes=changes,
        )
    return link, plaintext


def setup_link_revoke(*, link: SetupLink, actor: str, request: HttpRequest | None = None) -> SetupLink:
    """Revoke now: the very next request through the link is a 404. Revoking twice is a no-op."""
    with transaction.atomic():
        revoked = SetupLink.objects.filter(pk=link.pk, revoked_at=None).update(
            revoked_at=clock.now(), session_digest="", code_digest=""
        )
        if revoked:
            event_record(
                account=link.account,
                event=ConsoleEvent.SETUP_LINK_REVOKE,
                actor=actor,
                target=link_target(link),
                request=request,
            )
    link.refresh_from_db()
    return link


def setup_links_for_account(*, account: Account) -> QuerySet[SetupLink]:
    # Scoped to the account: tenants never see each other's links.
    return SetupLink.objects.filter(account=account).select_related("group").order_by("-created_at", "-pk")


def setup_link_get(*, account: Account, public_id: str) -> SetupLink | None:
    return setup_links_for_account(account=account).filter(public_id=public_id[:16]).first()


def setup_link_activity(*, link: SetupLink) -> QuerySet[Event]:
    """Everything done to or through the link: its holder's actions and the admin's create/revoke."""
    target = link_target(link)
    # Security-critical: scoped to the link's account; a prefix match with the separating space.
    events = Event.objects.filter(account_id=link.account_id)
    return events.filter(Q(target=target) | Q(actor__startswith=f"{target} ")).order_by("-time", "-pk")


# --- the holder's side -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """The result of opening a link by its token: the link, or why it is gone (event recorded)."""

    link: SetupLink | None
    reason: str = ""


def setup_link_open(*, token: str, request: HttpRequest | None = None) -> Opened:
    """The active link this token opens. A revoked or expired link's opening is recorded once per window
    (whoever holds an old link learns nothing from its answer: a 404 like an unknown token)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return Opened(None, "unknown")
    digest = token_digest(token)
    link = SetupLink.objects.select_related("account", "group").filter(digest=digest).first()
    if link is None or not hmac.compare_digest(link.digest, digest):
        return Opened(None, "unknown")
    status = link_status(link) if link.account.has_sso else "plan"
    if status != "active":
        if throttle.first_refusal(f"setup-link-open:{link.public_id}", window=CODE_WINDOW):
            _event(link, ConsoleEvent.SETUP_LINK_OPEN, request, outcome=Event.Outcome.FAILURE, reason=status)
        return Opened(None, status)
    _event(link, ConsoleEvent.SETUP_LINK_OPEN, request)
    return Opened(link)


def setup_link_active(*, public_id: str) -> SetupLink | None:
    """The active link of ``public_id`` with its account and group, or None (revoked, expired, unknown)."""
    link = SetupLink.objects.select_related("account", "group").filter(public_id=public_id[:16]).first()
    # An account whose plan no longer includes SSO sets nothing up through its links.
    return link if link is not None and link_is_active(link) and link.account.has_sso else None


class CodeRefused(Exception):
    """A code was not accepted: ``message`` for the page, ``status`` for the response."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def setup_link_code_send(*, link: SetupLink, request: HttpRequest | None = None) -> None:
    """Email a fresh code to the link's address (the previous one stops working). Raises CodeRefused."""
    # Counted before sending, in one atomic statement: concurrent requests cannot slip past the limit.
    name = f"setup-link-send:{link.public_id}"
    if throttle.failure_count_incr(name, window=SEND_WINDOW) > CODE_SENDS:
        if throttle.first_refusal(name, window=SEND_WINDOW):  # one event per window
            failure = Event.Outcome.FAILURE
            _event(link, ConsoleEvent.SETUP_LINK_CODE_SEND, request, outcome=failure, reason="throttled")
        raise CodeRefused(MSG_SEND_THROTTLED, 429)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        SetupLink.objects.filter(pk=link.pk).update(
            code_digest=_code_digest(link, code), code_expires_at=clock.now() + CODE_TTL
        )
        _event(link, ConsoleEvent.SETUP_LINK_CODE_SEND, request)
    body = MAIL_BODY.format(account=link.account.name, code=code)
    send_mail(MAIL_SUBJECT, body, settings.DEFAULT_FROM_EMAIL, [link.email])


def setup_link_code_pending(*, link: SetupLink) -> bool:
    """Is a code sent and still usable (the confirm page then shows its field)?"""
    return bool(link.code_digest) and link.code_expires_at is not None and link.code_expires_at > clock.now()


def setup_link_confirm(*, link: SetupLink, code: str, request: HttpRequest | None = None) -> str:
    """Check the code; on success returns the browser's new secret (the link's one session: an earlier
    browser's ends). Raises CodeRefused after recording the failure; a code is used once."""
    name = f"setup-link-code:{link.public_id}"
    # Every attempt counts, atomically and before the check: concurrent guesses cannot exceed the limit.
    attempt = throttle.failure_count_incr(name, window=CODE_WINDOW)
    if attempt > CODE_ATTEMPTS:
        if throttle.first_refusal(name, window=CODE_WINDOW):
            _confirm_failed(link, "throttled", request)
        raise CodeRefused(MSG_CODE_THROTTLED, 429)
    link.refresh_from_db(fields=["code_digest", "code_expires_at"])
    if not link.code_digest or link.code_expires_at is None or link.code_expires_at <= clock.now():
        _confirm_failed(link, "no code", request)
        raise CodeRefused(MSG_CODE_EXPIRED, 400)
    given = "".join(code.split())[: CODE_DIGITS * 2]
    if not hmac.compare_digest(link.code_digest, _code_digest(link, given)):
        if attempt >= CODE_ATTEMPTS:
            SetupLink.objects.filter(pk=link.pk).update(code_digest="")  # guessing this one ends here
        _confirm_failed(link, "wrong code", request)
        raise CodeRefused(MSG_CODE_WRONG, 400)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        # The code is spent by whoever clears it first (two tabs posting the same code: one wins).
        spent = SetupLink.objects.filter(pk=link.pk, code_digest=link.code_digest).update(
            code_digest="", session_digest=token_digest(secret), confirmed_at=clock.now()
        )
        if not spent:
            raise CodeRefused(MSG_CODE_EXPIRED, 400)
        _event(link, ConsoleEvent.SETUP_LINK_CONFIRM, request)
    throttle.failure_count_clear(name, window=CODE_WINDOW)
    link.refresh_from_db()
    return secret


def _confirm_failed(link: SetupLink, reason: str, request: HttpRequest | None) -> None:
    _event(link, ConsoleEvent.SETUP_LINK_CONFIRM, request, outcome=Event.Outcome.FAILURE, reason=reason)


def setup_link_session_valid(*, link: SetupLink, secret: str) -> bool:
    """Is ``secret`` the link's confirmed browser, confirmed less than SESSION_HOURS ago?"""
    if not link.session_digest or not secret or link.confirmed_at is None:
        return False
    if clock.now() - link.confirmed_at > timedelta(hours=SESSION_HOURS):
        return False
    return hmac.compare_digest(link.session_digest, token_digest(secret))


def setup_link_recent(*, link: SetupLink) -> bool:
    """A change of trust needs a recent proof, as for an admin: the code confirmed within
    REAUTH_MAX_AGE_SECONDS."""
    if link.confirmed_at is None:
        return False
    age = (clock.now() - link.confirmed_at).total_seconds()
    return 0 <= age <= settings.REAUTH_MAX_AGE_SECONDS


def setup_link_refused(*, link: SetupLink, what: str, request: HttpRequest | None = None) -> None:
    """The holder asked for what the link does not allow: recorded, nothing else written."""
    _event(link, ConsoleEvent.SETUP_LINK_REFUSED, request, outcome=Event.Outcome.FAILURE, reason=what)


def setup_link_test_started(*, link: SetupLink, request: HttpRequest | None = None) -> None:
    _event(link, ConsoleEvent.SETUP_LINK_TEST_SIGN_IN, request)


def setup_link_prune(*, now, delete) -> int:
    """Links that ended (expired; a revoked link ended no later) longer ago than EVENT_RETENTION_DAYS:
    their activity events are gone by then, so the admin's list has nothing left to show of them."""
    return delete(SetupLink.objects.filter(expires_at__lt=now - timedelta(days=settings.EVENT_RETENTION_DAYS)))
