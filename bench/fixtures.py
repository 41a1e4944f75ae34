"""Data for the benchmarks: an enterprise account, an enabled SSO group trusting a real key pair,
and users inserted in bulk with realistic names. Only ever run against the benchmark's own database."""

import hashlib
import random
import re
from dataclasses import dataclass
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.contrib.auth.hashers import make_password
from django.db import connection

from accounts.models import Account, User, UserEmail
from accounts.users import account_create
from sparksso import clock
from ssogroups.models import SSOCertificate, SSOGroup
from tests.support.keys import KeyPair, make_keypair

IDP_ENTITY_ID = "https://sso.jumpcloud.com/saml2/sparkpost-bench"
FIRST = ("olivia", "liam", "emma", "noah", "amelia", "oliver", "ava", "elijah", "sophia", "mateo", "isabella",
         "lucas", "mia", "levi", "evelyn", "asher", "harper", "james", "luna", "leo", "camila", "grayson")  # fmt: skip
LAST = ("smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez",
        "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson")  # fmt: skip
DOMAINS = ("northwind-example.com", "contoso-example.com", "fabrikam-example.net")
BATCH = 2000


@dataclass(frozen=True)
class Tenant:
    account: Account
    admin: User
    group: SSOGroup
    keys: KeyPair


def tenant_create(name: str) -> Tenant:
    """An enterprise account with an enabled group whose IdP signs with a fresh RSA-2048 key."""
    account, admin = account_create(
        name=name, admin_email=f"admin@{name.lower()}.example", plan=Account.Plan.ENTERPRISE, actor="bench"
    )
    keys = make_keypair(f"{name} IdP")
    group = SSOGroup.objects.create(
        account=account,
        name="JumpCloud",
        slug="jumpcloud",
        enabled=True,
        idp_entity_id=IDP_ENTITY_ID,
        sso_url="https://sso.jumpcloud.com/saml2/sparkpost-bench/sso",
    )
    der = x509.load_pem_x509_certificate(keys.cert_pem.encode()).public_bytes(serialization.Encoding.DER)
    SSOCertificate.objects.create(
        group=group,
        pem=keys.cert_pem,
        sha256_fingerprint=":".join(f"{b:02X}" for b in hashlib.sha256(der).digest()),
        subject=f"CN={name} IdP",
    )
    return Tenant(account=account, admin=admin, group=group, keys=keys)


def address(n: int) -> str:
    """The n-th user's address, e.g. ``emma.garcia.1234@contoso-example.com``: unique per n."""
    rng = random.Random(n)
    return f"{rng.choice(FIRST)}.{rng.choice(LAST)}.{n}@{DOMAINS[n % len(DOMAINS)]}"


def users_bulk_create(*, tenant: Tenant, start: int, stop: int) -> None:
    """Users ``start`` .. ``stop - 1`` (userName = primary work email, as JumpCloud provisions),
    bound to the tenant's group, each with one UserEmail row; inserted in batches through the ORM."""
    base = clock.now() - timedelta(days=30)
    unusable = make_password(None)
    for first in range(start, stop, BATCH):
        users = []
        for n in range(first, min(stop, first + BATCH)):
            email = address(n)
            given, family = email.split("@")[0].split(".")[:2]
            users.append(
                User(
                    account=tenant.account,
                    username=email,
                    email=email,
                    first_name=given.title(),
                    last_name=family.title(),
                    sso_group=tenant.group,
                    password=unusable,
                    created_at=base + timedelta(seconds=n),
                    updated_at=base + timedelta(seconds=n),
                )
            )
        created = User.objects.bulk_create(users)
        UserEmail.objects.bulk_create(
            UserEmail(user=u, position=0, value=u.email, type="work", primary=True) for u in created
        )


def database_analyze() -> None:
    """On PostgreSQL, refresh the planner's statistics after a bulk insert, as autovacuum soon would."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def query_plan(queryset) -> str:
    """The planner's access lines for ``queryset`` on one line: EXPLAIN QUERY PLAN on SQLite,
    EXPLAIN on PostgreSQL (costs and the ssogroup join left out)."""
    keep = ("SEARCH", "SCAN", "SUBQUERY", "B-TREE", "Scan", "Cond:", "Filter:")
    lines = [re.sub(r"^->\s*|\s*\(cost=[^)]*\)", "", line.strip()) for line in queryset.explain().splitlines()]
    lines = [line.split(" ", 3)[-1] if line[:1].isdigit() else line for line in lines]  # SQLite's node ids
    return " | ".join(line for line in lines if any(word in line for word in keep) and "ssogroup" not in line)
