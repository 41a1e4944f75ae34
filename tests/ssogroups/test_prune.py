"""`manage.py prune`: expired request state, old failures and events past retention go, in batches;
everything still in use stays."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Event, UserSession
from accounts.user_import import NewUser, users_import
from scim.query import filtered, list_params
from scim.resource_types import USER
from scim.users import users_of
from sparksso import clock
from sparksso.models import FailureCounter
from ssogroups.models import ConsumedAssertion, PendingAuthnRequest, SSOLoginFailure, SSOSession

DAY = timedelta(days=1)


@pytest.fixture
def now(monkeypatch):
    moment = clock.now()
    monkeypatch.setattr("sparksso.clock.now", lambda: moment)
    return moment


def prune(**options) -> dict:
    out = StringIO()
    call_command("prune", stdout=out, **options)
    counts = json.loads(out.getvalue())
    # SQLite's planner statistics are refreshed on every run; PostgreSQL's autovacuum keeps its own.
    assert counts.pop("planner_statistics_refreshed") is (connection.vendor == "sqlite")
    return counts


@pytest.fixture
def rows(account, make_ssogroup, make_user, now):
    """For each kind, three rows past their time and one still in use (plus the account's own events)."""
    group = make_ssogroup(account)
    user = make_user(account, "signed-in@example.com")
    for n, offset in enumerate([-DAY, -timedelta(seconds=1), timedelta(0), timedelta(minutes=5)]):
        PendingAuthnRequest.objects.create(
            request_id=f"id-{n}", group=group, browser_hash="", created_at=now, expires_at=now + offset
        )
        ConsumedAssertion.objects.create(
            group=group, assertion_id=f"a-{n}", not_on_or_after=now + offset - timedelta(seconds=1)
        )
        FailureCounter.objects.create(key=f"c-{n}", window_start=now - DAY, count=1, expires_at=now + offset)
        UserSession.objects.create(user=user, session_key=f"s-{n}", auth_method="sso")
        SSOSession.objects.create(group=group, user_session_id=f"s-{n}", name_id="n", expires_at=now + offset)
    for n, age in enumerate([400 * DAY, 91 * DAY, 90 * DAY + timedelta(seconds=1), 89 * DAY]):
        SSOLoginFailure.objects.create(group=group, time=now - age, reference=f"R{n}", reason="unsigned")
    for n, age in enumerate([900 * DAY, 366 * DAY, 365 * DAY + timedelta(seconds=1), 364 * DAY]):
        Event.objects.create(account=account, time=now - age, event="old", target=str(n))
    return group


def test_prune_deletes_only_what_is_past_its_time(rows, now):
    events_before = Event.objects.count()
    assert prune() == {
        "consumed_assertions": 3,
        "events": 3,
        "failure_counters": 3,
        "pending_authn_requests": 3,
        "sso_login_failures": 3,
        "sso_sessions": 3,
        "sign_in_traces": 0,
        "scim_request_log": 0,
        "setup_links": 0,
    }
    assert list(PendingAuthnRequest.objects.values_list("request_id", flat=True)) == ["id-3"]
    assert list(ConsumedAssertion.objects.values_list("assertion_id", flat=True)) == ["a-3"]
    assert list(FailureCounter.objects.values_list("key", flat=True)) == ["c-3"]
    assert list(SSOLoginFailure.objects.values_list("reference", flat=True)) == ["R3"]
    assert list(SSOSession.objects.values_list("user_session_id", flat=True)) == ["s-3"]
    assert list(Event.objects.filter(event="old").values_list("target", flat=True)) == ["3"]
    assert Event.objects.count() == events_before - 3  # the account's recent events stay; prune adds none
    assert set(prune().values()) == {0}


@pytest.mark.plans
def test_deletes_run_in_batches(rows):
    with CaptureQueriesContext(connection) as queries:
        prune(batch_size=2)
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    event_deletes = [sql for sql in deletes if '"accounts_event"' in sql]
    assert len(event_deletes) == 2  # 3 old events: a batch of 2, then 1
    assert len(deletes) == 12  # 2 per kind


def test_retention_settings_are_honoured(rows, settings):
    settings.EVENT_RETENTION_DAYS = 0  # 0 keeps events forever
    settings.SSO_LOGIN_FAILURE_RETENTION_DAYS = 365
    counts = prune()
    assert (counts["events"], counts["sso_login_failures"]) == (0, 1)
    assert Event.objects.filter(event="old").count() == 4


def test_a_bad_batch_size_is_refused_and_deletes_nothing(rows):
    with pytest.raises(CommandError, match="--batch-size must be at least 1."):
        call_command("prune", batch_size=0)
    assert PendingAuthnRequest.objects.count() == 4


def test_sign_in_no_longer_prunes_on_every_request(client, rows):
    """Per-request pruning is gone: starting a sign-in leaves expired rows for the command."""
    client.get(f"/api/v1/users/saml/{rows.account_id}/{rows.slug}/login")
    assert PendingAuthnRequest.objects.count() == 5
    assert ConsumedAssertion.objects.count() == 4


@pytest.mark.plans
@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's autovacuum keeps its statistics")
def test_prune_gives_sqlite_the_statistics_that_keep_an_email_lookup_on_its_index(account, make_ssogroup):
    group = make_ssogroup(account)
    users_import(
        account=account, people=[NewUser(f"u{n}@example.com", email=f"u{n}@example.com") for n in range(3000)],
        sso_group=group,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone()[0]:
            cursor.execute("DELETE FROM sqlite_stat1")  # as a database that never ran ANALYZE
    lookup = filtered(users_of(group), USER, list_params({"filter": 'emails[value eq "u2999@example.com"]'}))

    def plan() -> str:
        connection.close()  # SQLite reads its statistics when a connection opens
        return lookup.values_list("pk", flat=True)[:100].explain()

    # Without statistics: every user of the group, walked in list order, checked against the emails.
    assert "COVERING INDEX accounts_user_list_order" in plan()
    prune()
    with connection.cursor() as cursor:
        cursor.execute("SELECT tbl FROM sqlite_stat1")
        analyzed = {row[0] for row in cursor.fetchall()}
    assert {"accounts_user", "accounts_useremail"} <= analyzed
    # With them: the matching email rows first, then their users by primary key.
    after = plan()
    assert "accounts_useremail_value_ci" in after
    assert "PRIMARY KEY" in after
    assert "accounts_user_list_order" not in after
    assert list(lookup.values_list("username", flat=True)) == ["u2999@example.com"]
