"""A sign-in reads its group, account and certificates in one hand-written SELECT
(``ssogroup_for_sign_in``): the very instances the ORM builds, the same refusals as
``ssogroup_get(usable=True)``, and a sign-in of 8 statements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from ssogroups.models import SSOCertificate
from ssogroups.saml.selectors import ssogroup_for_sign_in
from ssogroups.selectors import ssogroup_get
from tests.ssogroups.saml.conftest import acs_post
from tests.ssogroups.saml.idp import sp_of

CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")


def _values(obj) -> dict:
    return {f.attname: (getattr(obj, f.attname), type(getattr(obj, f.attname))) for f in obj._meta.concrete_fields}


def test_it_builds_what_the_orm_builds(group):
    SSOCertificate.objects.create(group=group, pem="second", sha256_fingerprint="rollover")
    found = ssogroup_for_sign_in(account_id=group.account_id, slug=group.slug)
    orm = ssogroup_get(account_id=group.account_id, slug=group.slug, usable=True)
    assert _values(found) == _values(orm)
    assert _values(found.account) == _values(orm.account)
    expected = list(SSOCertificate.objects.filter(group=group).order_by("pk").values_list("pem", flat=True))
    assert found.certificate_pems == expected and len(expected) == 2


def test_a_group_without_certificates_trusts_none(account, make_ssogroup):
    group = make_ssogroup(account)
    assert ssogroup_for_sign_in(account_id=account.pk, slug=group.slug).certificate_pems == []


@pytest.mark.parametrize("case", ["disabled", "starter plan", "another account", "unknown slug"])
def test_what_sign_in_may_not_use_is_not_found(group, make_account, make_ssogroup, case):
    account_id, slug = group.account_id, group.slug
    if case == "disabled":
        type(group).objects.filter(pk=group.pk).update(enabled=False)
    elif case == "starter plan":
        Account.objects.filter(pk=group.account_id).update(plan=Account.Plan.STARTER)
    elif case == "another account":
        other, _ = make_account()
        make_ssogroup(other, slug="elsewhere")
        slug = "elsewhere"
    else:
        slug = "nobody"
    assert ssogroup_for_sign_in(account_id=account_id, slug=slug) is None
    assert ssogroup_get(account_id=account_id, slug=slug, usable=True) is None


@pytest.mark.plans
@pytest.mark.django_db(transaction=True)
def test_a_sign_in_is_eight_statements_with_one_read_of_its_group(client, idp, group, alice):
    xml = idp.response(sp_of(group), name_id="alice@example.com", sign_assertion=True)
    with CaptureQueriesContext(connection) as queries:
        response = acs_post(client, group, xml)
    assert response.status_code == 302
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith(CONTROL)]
    # group with account and certificates, failure counter (database cache), replay record, user,
    # last_login, session tracker, event, session
    assert len(statements) <= 8, statements
    assert not [q for q in statements if '"ssogroups_ssocertificate"' in q and "LEFT JOIN" not in q]
