"""Several accounts verifying one domain at once on PostgreSQL: the constraint lets exactly one win."""

import threading

import pytest
from django.db import connection

from accounts.models import Event
from ssogroups.domains_verify import ssodomain_verify
from ssogroups.models import SSODomain
from ssogroups.services import ssogroup_update

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to lose")


def test_concurrent_verifications_of_one_domain_verify_exactly_one_account(make_account, make_ssogroup, dns_zone):
    claims = []
    for _ in range(4):
        account, _ = make_account()
        group = make_ssogroup(account)
        ssogroup_update(group=group, actor="setup", domains=["contested.example"])
        claims.append(SSODomain.objects.select_related("account", "group").get(group=group))
    dns_zone.names["contested.example"] = [c.txt_record for c in claims]  # every account proves control
    barrier = threading.Barrier(len(claims))
    reasons: list[str] = []

    def verify(claim: SSODomain) -> None:
        barrier.wait()
        try:
            reasons.append(ssodomain_verify(claim=claim, actor="racer").reason)
        finally:
            connection.close()

    threads = [threading.Thread(target=verify, args=(c,)) for c in claims]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(reasons) == ["", "taken", "taken", "taken"]
    assert SSODomain.objects.filter(domain="contested.example", verified_at__isnull=False).count() == 1
    assert sorted(Event.objects.filter(event="sso_domain_verify").values_list("reason", flat=True)) == sorted(reasons)
