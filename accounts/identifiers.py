"""Usernames, email addresses and DNS names in one canonical form.

Why: ``alice@a.example`` followed by a zero-width space, or written in full-width letters, looks
like Alice to a person and is a different user to the database; an IdP (or an attacker with a
SCIM token) could create a look-alike next to the real one. NFKC folds compatibility forms into
one; what NFKC cannot fold (format and control characters) is refused.

Domains (claimed domains, the domain part of identifiers, metadata hosts) are folded by one
function, ``domain_to_ascii``: IDNA 2008 with UTS #46 non-transitional processing. IDNA 2003
(Python's ``"idna"`` codec) maps ``straße`` to ``strasse``, ``ς`` to ``σ`` and drops ZWJ/ZWNJ,
which today are different DNS names: another tenant who verified ``strasse.example`` received
/login for ``anna@straße.example``. docs/domains.md says more.
"""

import unicodedata

import idna
from django.core.exceptions import ValidationError

INVISIBLE_CHARACTER = "invisible_character"
MSG_INVISIBLE = "must not contain control or invisible characters (such as a zero-width space)."
# Security-critical filter: Cc control, Cf format (zero-width spaces and joiners, bidi overrides,
# soft hyphen, BOM), Zl/Zp line and paragraph separators, Co private use, Cs surrogates, Cn unassigned.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def domain_to_ascii(domain: str) -> str | None:
    """The one ASCII form of a DNS name: IDNA 2008, UTS #46 non-transitional (``straße`` stays
    ``xn--strae-oqa``, ς stays ς, ZWJ/ZWNJ only where their context rules allow), lowercase, with
    no trailing dot; None when IDNA 2008 refuses the name."""
    value = domain.strip().rstrip(".")
    if not value:
        return None
    try:
        return idna.encode(value, uts46=True, transitional=False, std3_rules=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


def domain_to_unicode(domain: str) -> str | None:
    """The same name in its canonical Unicode form (lowercase U-labels), for display and storage in
    identifiers; None when IDNA 2008 refuses it."""
    ascii_form = domain_to_ascii(domain)
    if ascii_form is None:
        return None
    try:
        return idna.decode(ascii_form)
    except (idna.IDNAError, UnicodeError):  # pragma: no cover - encode just accepted it
        return None


def _identifier_domain(domain: str) -> str:
    """An identifier's domain as stored: a plain ASCII name as typed (compared case-insensitively in
    the database), anything else in canonical Unicode so that ``STRAßE``, ``straße`` and
    ``xn--strae-oqa`` are one name; a name IDNA 2008 refuses is left for the invisible-character rule."""
    if domain.isascii() and not any(label.lower().startswith("xn--") for label in domain.split(".")):
        return domain
    return domain_to_unicode(domain) or domain


def identifier_normalise(value: str) -> str:
    """NFKC with surrounding whitespace removed, and an email's domain in one form (above): the form
    usernames and emails are stored and looked up in."""
    value = unicodedata.normalize("NFKC", value).strip()
    if "@" not in value:
        return value
    local, domain = value.rsplit("@", 1)
    return f"{local}@{_identifier_domain(domain)}"


def has_invisible(value: str) -> bool:
    return any(unicodedata.category(ch) in REFUSED_CATEGORIES for ch in value)


_JOINERS = frozenset({"\u200c", "\u200d"})  # ZWNJ, ZWJ: part of some names, under IDNA 2008's CONTEXTJ rules


def _has_refused_invisible(value: str) -> bool:
    """Invisible characters, except a joiner in an email's domain that IDNA 2008 accepts in its
    context. Checked before the domain is folded: UTS #46 would silently drop a zero-width space."""
    if "@" in value:
        local, domain = value.rsplit("@", 1)
        if has_invisible(local) or has_invisible("".join(ch for ch in domain if ch not in _JOINERS)):
            return True
        return any(ch in _JOINERS for ch in domain) and domain_to_ascii(domain) is None
    return has_invisible(value)


def identifier_clean(value: str, *, field: str, label: str) -> str:
    """The normalised value, or a ValidationError on ``field`` naming the rule."""
    nfkc = unicodedata.normalize("NFKC", value).strip()
    if _has_refused_invisible(nfkc):
        raise ValidationError({field: ValidationError(f"{label} {MSG_INVISIBLE}", code=INVISIBLE_CHARACTER)})
    return identifier_normalise(nfkc)
