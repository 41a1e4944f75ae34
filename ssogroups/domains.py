"""Email domains a group claims for adaptive login: normalised, validated, never a public provider."""

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError

from accounts.identifiers import domain_to_ascii

MSG_DOMAIN_INVALID = "{domain!r} is not a valid email domain (e.g. example.com)."
MSG_DOMAIN_PUBLIC = "{domain} is a public email provider; it cannot be claimed by one account."

# Claiming one of these would send every user of a public provider to one account's IdP.
PUBLIC_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.net",
        "mail.com",
        "yandex.com",
        "zoho.com",
    }
)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def validate_claimable_domain(domain: str) -> None:
    """SSODomain's rule for a domain as stored (lowercase, IDNA 2008 A-labels): a DNS name, never a public provider."""
    if not _DOMAIN.match(domain):
        raise ValidationError(MSG_DOMAIN_INVALID.format(domain=domain), code="invalid")
    if domain in PUBLIC_EMAIL_DOMAINS:
        raise ValidationError(MSG_DOMAIN_PUBLIC.format(domain=domain), code="public")


def _domain_normal(value: str) -> str | None:
    """Lowercase, without a trailing dot, in IDNA 2008 / UTS #46 non-transitional (ASCII); None when
    IDNA 2008 refuses it. The one fold for every domain (accounts.identifiers.domain_to_ascii)."""
    return domain_to_ascii(value) if value.strip() else ""


def domains_normalize(domains: Iterable[str]) -> list[str]:
    """Lowercase, strip a leading '@', drop duplicates; raise ValidationError on a bad domain."""
    result: list[str] = []
    errors = []
    for raw in domains:
        domain = _domain_normal(raw.strip().lstrip("@"))
        if domain is None:
            errors.append(MSG_DOMAIN_INVALID.format(domain=raw.strip()))
            continue
        if not domain:
            continue
        try:
            validate_claimable_domain(domain)
        except ValidationError as exc:  # an invalid one is named as the admin typed it
            errors.append(MSG_DOMAIN_INVALID.format(domain=raw.strip()) if exc.code == "invalid" else exc.message)
        else:
            if domain not in result:
                result.append(domain)
    if errors:
        raise ValidationError({"domains": errors})
    return result


def domain_of_identifier(identifier: str) -> str | None:
    """The email domain of a /login identifier, normalised as claims are stored; None when it has none."""
    if "@" not in identifier:
        return None
    domain = _domain_normal(identifier.rsplit("@", 1)[1])
    return domain if domain and _DOMAIN.match(domain) else None
