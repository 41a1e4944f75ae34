"""Realistic, unique user addresses shared by sparksso's fixtures and the peers (no Django here)."""

import random

FIRST = ("olivia", "liam", "emma", "noah", "amelia", "oliver", "ava", "elijah", "sophia", "mateo", "isabella",
         "lucas", "mia", "levi", "evelyn", "asher", "harper", "james", "luna", "leo", "camila", "grayson")  # fmt: skip
LAST = ("smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez",
        "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson")  # fmt: skip
DOMAINS = ("northwind-example.com", "contoso-example.com", "fabrikam-example.net")


def address(n: int) -> str:
    """The n-th user's address, e.g. ``emma.garcia.1234@contoso-example.com``: unique per n."""
    rng = random.Random(n)
    return f"{rng.choice(FIRST)}.{rng.choice(LAST)}.{n}@{DOMAINS[n % len(DOMAINS)]}"


def person(n: int) -> tuple[str, str, str]:
    """(email, given name, family name) of the n-th user."""
    email = address(n)
    given, family = email.split("@")[0].split(".")[:2]
    return email, given.title(), family.title()
