"""A group's ID (slug) made from its name, unique within the account; static/js/slug.js mirrors it."""

import re

from django.utils.text import slugify

from ssogroups.models import SSOGroup

SLUG_MAX = 64
FALLBACK = "group"


def slug_from_name(name: str) -> str:
    """``"JumpCloud (prod)"`` -> ``"jumpcloud-prod"``: what the admin sees being typed in the ID field."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", slugify(name).lower()).strip("-_")
    return slug[: SLUG_MAX - 4].strip("-_") or FALLBACK


def slug_unique(*, account, name: str) -> str:
    """``slug_from_name``, with -2, -3, … when the account already has it (slugs are unique per account)."""
    base = slug_from_name(name)
    # Scoped to the account: another account's slugs do not matter.
    taken = set(SSOGroup.objects.filter(account=account, slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def slug_choose(*, account, given: str, name: str, current: str = "") -> str:
    """The group's ID on every path: the one given, else the group's own (``current``), else one made
    from the name and unique in the account. Whether it is free is the service's to say."""
    return given.strip() or current or slug_unique(account=account, name=name)


def slugs_taken(*, account) -> list[str]:
    """The account's slugs, for the form's as-you-type preview."""
    return list(SSOGroup.objects.filter(account=account).order_by("slug").values_list("slug", flat=True))
