"""A sign-in's cost in the database: one commit, and a short, fixed list of statements.

Counted on a real transaction (transactional_db), so COMMIT is what the server would send.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import UserSession
from tests.ssogroups.saml.conftest import acs_post, session_json
from tests.ssogroups.saml.idp import sp_of

CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")


@pytest.mark.plans
@pytest.mark.django_db(transaction=True)
def test_a_sign_in_is_one_commit_of_a_few_statements(client, idp, group, alice):
    xml = idp.response(sp_of(group), name_id="alice@example.com", sign_assertion=True)
    with CaptureQueriesContext(connection) as queries:
        response = acs_post(client, group, xml)
    assert response.status_code == 302
    sql = [q["sql"].lstrip().upper() for q in queries.captured_queries]
    assert sum(1 for q in sql if q.startswith("COMMIT")) == 1
    if connection.vendor == "sqlite":  # the write lock, from before the first statement to the commit
        assert (sql[0], sql[-1]) == ("BEGIN IMMEDIATE", "COMMIT")  # (docs/architecture.md)
    statements = [q for q in sql if not q.startswith(CONTROL)]
    # group, certificates, replay record, user, last_login, session tracker, event, sign-in trace
    # (issue 22), session: 9; + the per-address failure counter's read where the cache is the
    # database table. Pruning is the `prune` command's, never the request's.
    assert len(statements) <= 9, statements
    assert sum(1 for q in statements if 'INTO "SSOGROUPS_SIGNINTRACE"' in q) == 1
    assert not [q for q in statements if q.startswith("DELETE")]
    assert sum(1 for q in statements if 'INTO "DJANGO_SESSION"' in q) == 1
    assert not [q for q in statements if q.startswith('UPDATE "DJANGO_SESSION"')]
    # And the session works: the cookie names the row the tracker recorded.
    assert session_json(client).json()["username"] == alice.username
    assert UserSession.objects.get(user=alice).session_key == client.cookies["sessionid"].value
