"""SQLite as a serious embedded database: the connection options settings.py applies to it.

- WAL: readers never wait for the writer, and a commit appends to the log instead of
  rewriting pages through a rollback journal.
- synchronous=NORMAL: with WAL, a commit no longer waits for an fsync; the log is synced at each
  checkpoint. A power cut can lose the last commits, never corrupt the file.
- a busy timeout: a writer waits up to this long for another process's lock instead of failing
  at once with "database is locked" (gunicorn workers share the file).
- BEGIN IMMEDIATE for every transaction.atomic(): the write lock is taken at the start, so two
  transactions that read then write cannot deadlock on the upgrade (which the busy timeout
  cannot resolve).
- foreign keys on (Django turns them on too; said here so the list is complete).

docs/performance.md says when to move to PostgreSQL instead.
"""

SQLITE_BUSY_TIMEOUT_SECONDS = 20
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON")


def sqlite_options(options: dict | None = None) -> dict:
    """``DATABASES[...]["OPTIONS"]`` for a SQLite database; what the operator set in ``options`` wins."""
    return {
        "init_command": ";".join(f"PRAGMA {pragma}" for pragma in SQLITE_PRAGMAS),
        "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
        "transaction_mode": "IMMEDIATE",
        **(options or {}),
    }


def planner_statistics_refresh(connection) -> bool:
    """Refresh SQLite's query-planner statistics (``ANALYZE``); True when it ran.

    Without statistics SQLite guesses, and at tens of thousands of users it guessed wrong: an
    ``emails[value eq]`` lookup walked the list-order index and probed each user's emails instead
    of starting from the email index (docs/performance.md). ``manage.py prune`` runs this from its
    timer. PostgreSQL's autovacuum keeps its own statistics: nothing to do there.
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return True
