"""Statement counts of the SCIM hot paths, pinned (a count test, never a time test): the token
check, a lookup, a read by id, a page, a create. Every request reads its token afresh, so a revoked
token or a disabled group fails on the very next request, on any worker."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scim.models import ScimToken
from scim.tokens import scim_token_revoke
from sparksso import clock
from ssogroups.models import SSOGroup

from .conftest import ERROR

CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT")
pytestmark = pytest.mark.plans


def _statements(scim, method: str, path: str, *args, **params) -> tuple[object, list[str]]:
    ScimToken.objects.filter(pk=scim.token_obj.pk).update(last_used_at=clock.now())  # no touch this minute
    with CaptureQueriesContext(connection) as queries:
        response = scim.get(path, params) if method == "GET" else getattr(scim, method.lower())(path, *args)
    sql = [q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith(CONTROL)]
    return response, sql


@pytest.fixture
def people(scim):
    return [scim.create_user(f"u{k}@example.com", emails=[{"value": f"u{k}@example.com"}]) for k in range(5)]


def test_the_token_check_is_one_select(scim):
    response, sql = _statements(scim, "GET", "/ServiceProviderConfig")
    assert response.status_code == 200
    assert len(sql) == 1 and '"accounts_scimtoken"' in sql[0]


@pytest.mark.parametrize("scim_groups, limit", [(False, 3), (True, 4)])
def test_a_lookup_is_token_user_emails_and_groups_only_when_the_account_has_some(scim, people, scim_groups, limit):
    if scim_groups:
        scim.create_group("Ops", members=[people[1]["id"]])
    found, sql = _statements(scim, "GET", "/Users", filter='userName eq "u1@example.com"')
    by_id, by_id_sql = _statements(scim, "GET", f"/Users/{people[1]['id']}")
    assert (len(sql), len(by_id_sql)) == (limit, limit), sql + by_id_sql
    assert found.json()["Resources"] == [by_id.json()]
    assert ("groups" in by_id.json()) is scim_groups
    assert not [q for q in sql if "accounts_scimgroupmembership" in q] or scim_groups


def test_a_missed_lookup_is_two_selects(scim, people):
    """JumpCloud's check before every create finds nobody: the token and the user query."""
    found, sql = _statements(scim, "GET", "/Users", filter='userName eq "new@example.com"')
    assert found.json()["totalResults"] == 0
    assert len(sql) == 2, sql


@pytest.mark.parametrize("scim_groups, limit", [(False, 4), (True, 5)])
def test_a_full_page_is_token_rows_emails_groups_and_the_maintained_count(scim, people, scim_groups, limit):
    if scim_groups:
        scim.create_group("Ops", members=[people[0]["id"]])
    page, sql = _statements(scim, "GET", "/Users", startIndex="1", count="3")
    assert page.json()["totalResults"] == 5
    assert len(sql) == limit, sql
    assert not [q for q in sql if "COUNT(" in q.upper()]


def test_a_create_is_four_statements(scim):
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "n@example.com",
            "emails": [{"value": "n@example.com"}]}  # fmt: skip
    response, sql = _statements(scim, "POST", "/Users", body)
    assert response.status_code == 201
    assert [s.split()[0] for s in sql] == ["SELECT", "INSERT", "INSERT", "INSERT"], sql  # token, user, email, event


def test_a_token_revoked_between_two_requests_fails_on_the_second(scim, people):
    assert scim.get("/Users", {"count": "1"}).status_code == 200
    scim_token_revoke(token=ScimToken.objects.get(pk=scim.token_obj.pk), actor="admin")
    refused = scim.get("/Users", {"count": "1"})
    assert refused.status_code == 401
    assert refused.json()["schemas"] == [ERROR]


def test_a_group_disabled_between_two_requests_refuses_the_second(scim, people):
    assert scim.get(f"/Users/{people[0]['id']}").status_code == 200
    SSOGroup.objects.filter(pk=scim.group.pk).update(enabled=False)
    refused = scim.get(f"/Users/{people[0]['id']}")
    assert refused.status_code == 401
    assert refused.json()["schemas"] == [ERROR]
