"""Password limits that an outsider can neither flush nor turn against the owner of an identifier.

Three counters per failed sign-in, each with its own effect:

- per (identifier, client address): the hard limit, ``LOGIN_FAILURE_LIMIT`` per window. It stops
  one address guessing one identifier, and only that address.
- per client address: ``IP_LIMIT_FACTOR`` times looser (many people share an address behind NAT),
  so one address cannot spray many identifiers.
- per identifier, only when the identifier names a user: past the limit, failures from *any*
  address make the identifier wait 2^k seconds between attempts (k grows with each further
  failure, capped at ``LOGIN_FAILURE_DELAY_MAX_SECONDS``) — a delay that slows a guesser with
  many addresses, never a wall. An address the user signed in from before is not delayed: her
  right password from her own address is never refused because of failures from elsewhere.

An identifier that names no user gets no counter of its own (only the address and the pair, both
bounded by the address's limit), so a flood of made-up identifiers cannot mint rows without end.
Re-authentication counts per session (``reauth_*``), apart from sign-in: failures for her address
on /login never stop her open session confirming it is her.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from accounts.models import User
from accounts.selectors import email_is, username_is
from sparksso import clock, throttle

IP_LIMIT_FACTOR = 4  # many people may share one address (NAT), so the per-address limit is looser
KNOWN_ADDRESS_DAYS = 30  # an address the user signed in from is spared the identifier's delay this long
UNKNOWN_TARGET_PREFIX = "unknown:"  # the event target of an identifier that names no user


@dataclass(frozen=True)
class LoginRefusal:
    """Why an attempt is refused before its password is checked; ``name`` marks one event per window."""

    name: str
    retry_after: int


def _digest(identifier: str) -> str:
    return hashlib.sha256(identifier.strip().lower().encode()).hexdigest()


def _names(identifier: str, ip: str | None) -> dict[str, str]:
    digest, address = _digest(identifier), ip or "unknown"
    return {
        "pair": f"login-fail:idip:{digest}:{address}",
        "address": f"login-fail:ip:{address}",
        "identifier": f"login-fail:id:{digest}",
        "wait": f"login-wait:id:{digest}",
        "known": f"login-known:{digest}:{address}",
    }


def identifier_names_a_user(identifier: str) -> bool:
    """True when some user (of any account) has this username or email: only then does the
    identifier get a counter of its own."""
    return User.objects.filter(username_is(identifier) | email_is(identifier)).exists()


def failure_target(identifier: str, *, known: bool) -> str:
    """What a failure event names: the identifier when it names a user, else only a digest prefix —
    a password typed into the identifier field must never rest in the event log."""
    return identifier if known else UNKNOWN_TARGET_PREFIX + _digest(identifier)[:12]


def login_refusal(*, identifier: str, ip: str | None) -> LoginRefusal | None:
    """The limit this attempt has reached, if any; checked before the password (which is not read)."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    limit = settings.LOGIN_FAILURE_LIMIT
    names = _names(identifier, ip)
    for name, cap in ((names["pair"], limit), (names["address"], limit * IP_LIMIT_FACTOR)):
        if throttle.failure_count(name, window=window) >= cap:
            return LoginRefusal(name=name, retry_after=throttle.retry_after(window=window))
    until = throttle.hold_until(names["wait"])
    if until is not None and throttle.hold_until(names["known"]) is None:
        wait = math.ceil((until - clock.now()).total_seconds())
        return LoginRefusal(name=names["wait"], retry_after=max(wait, 1))
    return None


def login_refusal_is_first(refusal: LoginRefusal) -> bool:
    """True for the first refusal of this limit in the window: the one that records an event."""
    return throttle.first_refusal(refusal.name, window=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_failure_record(*, identifier: str, ip: str | None, known: bool) -> None:
    """Count a wrong password: the pair and the address always; the identifier only if it names a user."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    names = _names(identifier, ip)
    throttle.failure_count_incr(names["pair"], window=window)
    throttle.failure_count_incr(names["address"], window=window)
    if not known:
        return
    count = throttle.failure_count_incr(names["identifier"], window=window)
    beyond = count - settings.LOGIN_FAILURE_LIMIT
    if beyond > 0:
        delay = min(2 ** min(beyond - 1, 30), settings.LOGIN_FAILURE_DELAY_MAX_SECONDS)
        throttle.hold_set(names["wait"], until=clock.now() + timedelta(seconds=delay))


def login_success_record(*, identifier: str, ip: str | None) -> None:
    """A right password forgives this address's failures for the identifier and marks the address
    as hers (spared the identifier's delay). The identifier's own count stays: forgiving it would
    hand a guesser with many addresses a fresh budget each time the owner signs in."""
    names = _names(identifier, ip)
    throttle.failure_count_clear(names["pair"], window=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    throttle.hold_set(names["known"], until=clock.now() + timedelta(days=KNOWN_ADDRESS_DAYS))


def _reauth_name(user: User, session_key: str | None) -> str:
    session = hashlib.sha256((session_key or "").encode()).hexdigest()[:32]
    return f"reauth-fail:{user.pk}:{session}"


def reauth_refusal(*, user: User, session_key: str | None) -> LoginRefusal | None:
    """This session's re-auth limit, if reached: counted apart from sign-in failures."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    name = _reauth_name(user, session_key)
    if throttle.failure_count(name, window=window) >= settings.LOGIN_FAILURE_LIMIT:
        return LoginRefusal(name=name, retry_after=throttle.retry_after(window=window))
    return None


def reauth_failure_record(*, user: User, session_key: str | None) -> None:
    throttle.failure_count_incr(_reauth_name(user, session_key), window=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def reauth_failures_clear(*, user: User, session_key: str | None) -> None:
    throttle.failure_count_clear(_reauth_name(user, session_key), window=settings.LOGIN_FAILURE_WINDOW_SECONDS)
