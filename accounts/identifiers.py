"""Usernames and email addresses in one canonical form: NFKC, and no control or invisible characters.

Why: ``alice@a.example`` followed by a zero-width space, or written in full-width letters, looks
like Alice to a person and is a different user to the database; an IdP (or an attacker with a
SCIM token) could create a look-alike next to the real one. NFKC folds compatibility forms into
one; what NFKC cannot fold (format and control characters) is refused.
"""

import unicodedata

from django.core.exceptions import ValidationError

INVISIBLE_CHARACTER = "invisible_character"
MSG_INVISIBLE = "must not contain control or invisible characters (such as a zero-width space)."
# Security-critical filter: Cc control, Cf format (zero-width spaces and joiners, bidi overrides,
# soft hyphen, BOM), Zl/Zp line and paragraph separators, Co private use, Cs surrogates, Cn unassigned.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def identifier_normalise(value: str) -> str:
    """NFKC with surrounding whitespace removed: the form usernames and emails are stored and looked up in."""
    return unicodedata.normalize("NFKC", value).strip()


def has_invisible(value: str) -> bool:
    return any(unicodedata.category(ch) in REFUSED_CATEGORIES for ch in value)


def identifier_clean(value: str, *, field: str, label: str) -> str:
    """The normalised value, or a ValidationError on ``field`` naming the rule."""
    value = identifier_normalise(value)
    if has_invisible(value):
        raise ValidationError({field: ValidationError(f"{label} {MSG_INVISIBLE}", code=INVISIBLE_CHARACTER)})
    return value
