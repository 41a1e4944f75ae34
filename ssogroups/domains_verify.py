"""Proving that an account owns an email domain: a DNS TXT record ``sparksso-verification=<token>``
at the domain, read through the resolver the settings name. Only a verified domain routes /login
identifiers to a group, and a domain is verified by one account at most."""

import logging
from dataclasses import dataclass

import dns.exception
import dns.resolver
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.events import event_record
from accounts.models import Event
from sparksso import clock
from sparksso.hostport import host_port_parse
from ssogroups.domains import MSG_DOMAIN_PUBLIC, PUBLIC_EMAIL_DOMAINS, domain_of_identifier
from ssogroups.event_types import SSOGroupEvent
from ssogroups.models import SSODomain

logger = logging.getLogger(__name__)

EVENT = SSOGroupEvent.SSO_DOMAIN_VERIFY

REASON_WRONG_TOKEN = "wrong_token"
REASON_NO_TXT = "no_txt"
REASON_NXDOMAIN = "nxdomain"
REASON_TIMEOUT = "timeout"
REASON_DNS_ERROR = "dns_error"
REASON_TAKEN = "taken"
REASON_PUBLIC = "public_domain"

MSG_VERIFIED = "{domain} is verified: addresses at it now sign in through this SSO group."
MSG_WRONG_TOKEN = "{domain} has TXT records, but none of them is {record}. Publish that exact value and try again."
MSG_NO_TXT = "{domain} has no TXT record yet. Publish {record} and try again (DNS changes can take a while to appear)."
MSG_NXDOMAIN = "{domain} does not exist in DNS. Check the spelling, or publish the domain first."
MSG_TIMEOUT = "The DNS lookup for {domain} timed out. Nothing was changed; try again in a few minutes."
MSG_DNS_ERROR = "The DNS servers could not answer for {domain}. Nothing was changed; try again in a few minutes."
# Never names the account that holds it: that would tell one tenant about another.
MSG_TAKEN = (
    "{domain} is already verified by another account, and a domain can route sign-ins to one account only. "
    "If your organisation owns it, contact support."
)

MESSAGES = {
    REASON_WRONG_TOKEN: MSG_WRONG_TOKEN,
    REASON_NO_TXT: MSG_NO_TXT,
    REASON_NXDOMAIN: MSG_NXDOMAIN,
    REASON_TIMEOUT: MSG_TIMEOUT,
    REASON_DNS_ERROR: MSG_DNS_ERROR,
    REASON_TAKEN: MSG_TAKEN,
    REASON_PUBLIC: MSG_DOMAIN_PUBLIC,
}


@dataclass(frozen=True)
class DomainCheck:
    """The outcome of one check: ``reason`` is empty when the domain is verified."""

    verified: bool
    reason: str
    message: str


class _LookupFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _resolver() -> dns.resolver.Resolver:
    """The configured DNS server (``DNS_RESOLVER``), else the system's, with a short timeout."""
    if settings.DNS_RESOLVER:
        host, port = host_port_parse(settings.DNS_RESOLVER, default_port=53, name="DNS_RESOLVER")
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [host]
        resolver.port = port
    else:
        try:
            resolver = dns.resolver.Resolver()
        except dns.resolver.NoResolverConfiguration as exc:
            logger.warning("domain verification: no system resolver configured: %s", exc)
            raise _LookupFailed(REASON_DNS_ERROR) from exc
    resolver.timeout = resolver.lifetime = settings.DNS_TIMEOUT_SECONDS
    return resolver


def txt_records(domain: str) -> list[str]:
    """Every TXT value published at ``domain`` (a record's strings joined, as RFC 7208 reads them)."""
    resolver = _resolver()
    try:
        answer = resolver.resolve(f"{domain}.", "TXT", search=False)
    except dns.resolver.NXDOMAIN as exc:
        raise _LookupFailed(REASON_NXDOMAIN) from exc
    except dns.resolver.NoAnswer as exc:
        raise _LookupFailed(REASON_NO_TXT) from exc
    except dns.exception.Timeout as exc:  # LifetimeTimeout: no server answered in time
        raise _LookupFailed(REASON_TIMEOUT) from exc
    except dns.exception.DNSException as exc:  # NoNameservers (SERVFAIL, REFUSED), malformed answers
        logger.warning("domain verification: DNS lookup of %s failed: %s", domain, exc)
        raise _LookupFailed(REASON_DNS_ERROR) from exc
    return [b"".join(rdata.strings).decode("utf-8", "replace").strip() for rdata in answer]


def _check(claim: SSODomain) -> DomainCheck:
    if claim.domain in PUBLIC_EMAIL_DOMAINS:  # claims are refused too; this covers a list that grew since
        return _failure(claim, REASON_PUBLIC)
    try:
        values = txt_records(claim.domain)
    except _LookupFailed as exc:
        return _failure(claim, exc.reason)
    if claim.txt_record not in values:
        return _failure(claim, REASON_WRONG_TOKEN)
    return DomainCheck(verified=True, reason="", message=MSG_VERIFIED.format(domain=claim.domain))


def _failure(claim: SSODomain, reason: str) -> DomainCheck:
    message = MESSAGES[reason].format(domain=claim.domain, record=claim.txt_record)
    return DomainCheck(verified=False, reason=reason, message=message)


def ssodomain_verify(*, claim: SSODomain, actor: str, request: HttpRequest | None = None) -> DomainCheck:
    """Look the claim's TXT record up now; save the outcome on the claim and as a ``sso_domain_verify`` event.

    DNS comes first, so only an account that controls the domain learns that another one holds it.
    A verified claim stays verified when a later check fails (a DNS hiccup must not send a whole
    company to the password page); the failure is shown to its admin.
    """
    check = _check(claim)  # outside any transaction: no database lock waits on the network
    now = clock.now()
    with transaction.atomic():
        if check.verified:
            try:
                with transaction.atomic():  # a savepoint: the constraint may refuse a second account
                    SSODomain.objects.filter(pk=claim.pk).update(
                        verified_at=claim.verified_at or now, checked_at=now, check_error=""
                    )
            except IntegrityError:  # "ssogroups_domain_verified_once": another account verified it
                check = _failure(claim, REASON_TAKEN)
            else:
                claim.verified_at, claim.checked_at, claim.check_error = claim.verified_at or now, now, ""
        if not check.verified:
            claim.checked_at, claim.check_error = now, check.message[:500]
            SSODomain.objects.filter(pk=claim.pk).update(checked_at=now, check_error=claim.check_error)
        event_record(
            account=claim.account,
            event=EVENT,
            actor=actor,
            target=claim.domain,
            outcome=Event.Outcome.SUCCESS if check.verified else Event.Outcome.FAILURE,
            reason=check.reason,
            request=request,
            changes={"group": claim.group.slug},
        )
    return check


def account_for_identifier(*, identifier: str) -> int | None:
    """The account that has verified the identifier's email domain, or None.

    Registered with accounts.login_routing: password sign-in then looks only at that account's
    users, so another tenant's rows never stand in for (or next to) an owner's address."""
    domain = domain_of_identifier(identifier)
    if domain is None:
        return None
    return (
        SSODomain.objects.filter(domain=domain, verified_at__isnull=False).values_list("account_id", flat=True).first()
    )
