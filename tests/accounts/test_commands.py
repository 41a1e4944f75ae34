"""create_account and events_export: JSON on success, one line and exit 1 on bad input."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account, Event, User

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_account_prints_json_and_creates_an_admin(db):
    data = json.loads(run("create_account", "--name", "Acme", "--admin-email", "boss@acme.test", "--plan", "premier"))
    account = Account.objects.get(pk=data["account_id"])
    assert (account.name, account.plan) == ("Acme", "premier")
    admin = User.objects.get(pk=data["admin_id"])
    assert (admin.username, admin.role, admin.has_usable_password()) == ("boss@acme.test", "admin", False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--admin-email", "not-an-email"], "email: Enter a valid email address."),
        (
            ["--admin-email", "ok@acme.test", "--plan", "gold"],
            "plan must be one of starter, premier, enterprise (got 'gold')",
        ),
        (["--admin-email", "ok@acme.test", "--name", "  "], "name must not be empty"),
    ],
)
def test_create_account_bad_input_creates_nothing(db, args, message):
    argv = ["create_account", "--name", "Acme", *args]
    with pytest.raises(CommandError) as exc:
        run(*argv)
    assert str(exc.value) == message
    assert (Account.objects.count(), User.objects.count(), Event.objects.count()) == (0, 0, 0)


def test_create_account_exits_1_with_one_line(tmp_path):
    """The real process: exit status 1, one line on stderr, no traceback."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "SPARKSSO_VAR_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    result = subprocess.run(
        [sys.executable, "manage.py", "create_account", "--name", "Acme", "--admin-email", "bad", "--plan", "premier"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == ["CommandError: email: Enter a valid email address."]


def test_events_export_prints_json_lines_oldest_first(account):
    Event.objects.create(account=account, event="first")
    Event.objects.create(account=account, event="second")
    lines = [json.loads(line) for line in run("events_export", "--account", str(account.pk)).splitlines()]
    names = [line["event"] for line in lines]
    assert names[-2:] == ["first", "second"]
    assert list(lines[0]) == ["time", "event", "actor", "target", "outcome", "reason", "ip", "request_id", "changes"]
    only = run("events_export", "--account", str(account.pk), "--event", "second")
    assert [json.loads(line)["event"] for line in only.splitlines()] == ["second"]


def test_events_export_takes_a_range_since_included_until_excluded(account):
    for hour in (10, 11, 12):
        Event.objects.create(account=account, event=f"h{hour}", time=datetime(2026, 11, 1, hour, tzinfo=UTC))
    out = run("events_export", "--account", str(account.pk), "--since", "2026-11-01T11:00:00Z",
              "--until", "2026-11-01T12:00:00Z")  # fmt: skip
    assert [json.loads(line)["event"] for line in out.splitlines()] == ["h11"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "999999"], "no account with id 999999"),
        (["--since", "last week"], "since must be an ISO 8601 date-time with a time zone, e.g. 2026-11-28T12:00:00Z"),
        (["--until", "soon"], "until must be an ISO 8601 date-time with a time zone, e.g. 2026-11-28T12:00:00Z"),
    ],
)
def test_events_export_bad_input(account, args, message):
    argv = ["events_export", "--account", str(account.pk), *args]
    with pytest.raises(CommandError) as exc:
        run(*argv)
    assert str(exc.value) == message
