"""Data for the benchmarks: an enterprise account, an enabled SSO group trusting a real key pair,
and users inserted in bulk with realistic names. Only ever run against the benchmark's own database."""

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import connection
from tqdm import tqdm

from accounts.models import Account, User
from accounts.user_import import NewUser, users_import
from accounts.users import account_create
from bench.names import person
from sparksso import clock
from sparksso.db import planner_statistics_refresh
from ssogroups.models import SSOCertificate, SSOGroup
from tests.support.keys import KeyPair, make_keypair

IDP_ENTITY_ID = "https://sso.jumpcloud.com/saml2/sparkpost-bench"
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


def users_bulk_create(*, tenant: Tenant, start: int, stop: int, progress: bool = False) -> None:
    """Users ``start`` .. ``stop - 1`` (userName = primary work email, as JumpCloud provisions),
    bound to the tenant's group, each with one UserEmail row, imported in batches through the
    accounts.user_import service. With ``progress``, a tqdm bar on stderr counts the users."""
    base = clock.now() - timedelta(days=30)
    bar = tqdm(total=stop - start, unit="user", desc="sparksso users", disable=not progress, leave=False)
    for first in range(start, stop, BATCH):
        people = []
        for n in range(first, min(stop, first + BATCH)):
            email, given, family = person(n)
            people.append(NewUser(username=email, email=email, first_name=given, last_name=family,
                                  created_at=base + timedelta(seconds=n)))  # fmt: skip
        bar.update(users_import(account=tenant.account, people=people, sso_group=tenant.group, actor="bench"))
    bar.close()


def database_analyze() -> None:
    """After a bulk insert, what production soon does: on SQLite the `prune` timer's ANALYZE
    (sparksso.db.planner_statistics_refresh); on PostgreSQL autovacuum, which since version 13 also
    vacuums insert-only tables. The VACUUM matters: it fills the visibility map, without which a
    page's index-only scan still reads every skipped row from the table (docs/performance.md)."""
    if not planner_statistics_refresh(connection):
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def query_plan(queryset) -> str:
    """The planner's access lines for ``queryset`` on one line: EXPLAIN QUERY PLAN on SQLite,
    EXPLAIN on PostgreSQL (costs and the ssogroup join left out)."""
    keep = ("SEARCH", "SCAN", "SUBQUERY", "B-TREE", "Scan", "Cond:", "Filter:")
    lines = [re.sub(r"^->\s*|\s*\(cost=[^)]*\)", "", line.strip()) for line in queryset.explain().splitlines()]
    lines = [line.split(" ", 3)[-1] if line[:1].isdigit() else line for line in lines]  # SQLite's node ids
    return " | ".join(line for line in lines if any(word in line for word in keep) and "ssogroup" not in line)
