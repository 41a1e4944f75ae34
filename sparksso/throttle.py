"""Failure counters in a table of their own: fixed windows, one atomic upsert per failure.

Why a table and not the cache: a cache evicts (the database cache culls a third of its rows past
MAX_ENTRIES; Redis under ``maxmemory``), so anyone who can make it store many keys could flush the
counters that stop password guessing. ``FailureCounter`` rows leave only through ``manage.py
prune`` after their window ended, on every cache setting.

Why fixed windows: the window's start (the injectable clock rounded down) is part of the row's
identity, so a window lasts exactly its configured length and a new one starts from zero. The
increment is ``INSERT … ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING
count`` — one statement that SQLite (3.35+) and PostgreSQL both run atomically, so N concurrent
failures count exactly N.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connections, router

from sparksso import clock
from sparksso.models import FailureCounter

KEY_MAX = FailureCounter._meta.get_field("key").max_length
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the window_start of a hold (a row that is not a window)


@dataclass(frozen=True)
class Window:
    """One counter's current window: its start, and seconds until it ends."""

    start: datetime
    remaining: int

    def ends_at(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.remaining)


def window_current(*, seconds: int) -> Window:
    """The fixed window of ``seconds`` we are in now (its start is the clock rounded down)."""
    now = int(clock.now().timestamp())
    start = now - now % seconds
    return Window(start=datetime.fromtimestamp(start, UTC), remaining=start + seconds - now)


def counter_key(name: str) -> str:
    """``name`` as stored: names longer than the column are replaced by their digest (never cut: two
    long names must not share a counter)."""
    if len(name) <= KEY_MAX:
        return name
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def _sql(statement: str, params: list) -> list[tuple]:
    db = router.db_for_write(FailureCounter)
    connection = connections[db]
    adapt = [connection.ops.adapt_datetimefield_value(p) if isinstance(p, datetime) else p for p in params]
    with connection.cursor() as cursor:
        cursor.execute(statement.format(**_names(connection)), adapt)
        return cursor.fetchall() if cursor.description else [(cursor.rowcount,)]


def _names(connection) -> dict[str, str]:
    qn = connection.ops.quote_name
    meta = FailureCounter._meta
    return {
        "table": qn(meta.db_table),
        **{field: qn(meta.get_field(field).column) for field in ("key", "window_start", "count", "expires_at")},
    }


# The statements take table and column names from the model, quoted; every value is a parameter.
_INCR = (
    "INSERT INTO {table} ({key}, {window_start}, {count}, {expires_at}) VALUES (%s, %s, 1, %s) "  # noqa: S608
    "ON CONFLICT ({key}, {window_start}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count}"
)
_ADD = (
    "INSERT INTO {table} ({key}, {window_start}, {count}, {expires_at}) VALUES (%s, %s, 1, %s) "  # noqa: S608
    "ON CONFLICT ({key}, {window_start}) DO NOTHING"
)
_HOLD = (
    "INSERT INTO {table} ({key}, {window_start}, {count}, {expires_at}) VALUES (%s, %s, 1, %s) "  # noqa: S608
    "ON CONFLICT ({key}, {window_start}) DO UPDATE SET {expires_at} = excluded.{expires_at}"
)


def failure_count(name: str, *, window: int) -> int:
    """Failures counted under ``name`` in the current window of ``window`` seconds."""
    start = window_current(seconds=window).start
    found = FailureCounter.objects.filter(key=counter_key(name), window_start=start).values_list("count", flat=True)
    return found.first() or 0


def failure_count_incr(name: str, *, window: int) -> int:
    """Count one failure under ``name`` in the current window; returns the new count (atomic)."""
    current = window_current(seconds=window)
    rows = _sql(_INCR, [counter_key(name), current.start, current.ends_at(clock.now())])
    return int(rows[0][0])


def failure_count_clear(name: str, *, window: int) -> None:
    """Forget the current window's failures under ``name`` (a success forgives them)."""
    start = window_current(seconds=window).start
    FailureCounter.objects.filter(key=counter_key(name), window_start=start).delete()


def first_refusal(name: str, *, window: int) -> bool:
    """True exactly once per window for ``name``: the refusal that records an event.

    An insert that does nothing on conflict: the unique (key, window_start) lets one caller win.
    """
    current = window_current(seconds=window)
    rows = _sql(_ADD, [counter_key(f"{name}:refused"), current.start, current.ends_at(clock.now())])
    return rows[0][0] == 1


def retry_after(*, window: int) -> int:
    """Seconds until the current window of ``window`` seconds ends (for a Retry-After header)."""
    return window_current(seconds=window).remaining


def hold_until(name: str) -> datetime | None:
    """When the hold on ``name`` ends, if one is on now (``hold_set``); else None."""
    holds = FailureCounter.objects.filter(key=counter_key(name), window_start=EPOCH, expires_at__gt=clock.now())
    return holds.values_list("expires_at", flat=True).first()


def hold_set(name: str, *, until: datetime) -> None:
    """Hold ``name`` until ``until`` (replacing any earlier hold): one upsert, pruned once past."""
    _sql(_HOLD, [counter_key(name), EPOCH, until])


def hold_take(name: str) -> bool:
    """End the hold on ``name``: True exactly once if it was on (a delete decides between racers)."""
    holds = FailureCounter.objects.filter(key=counter_key(name), window_start=EPOCH, expires_at__gt=clock.now())
    deleted, _ = holds.delete()
    return deleted > 0
