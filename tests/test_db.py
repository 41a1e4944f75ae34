"""SQLite runs as a serious embedded database: WAL, synchronous=NORMAL, a busy timeout, foreign keys."""

import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper

from sparksso.db import SQLITE_BUSY_TIMEOUT_SECONDS, sqlite_options

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite settings")


def _pragmas(path) -> dict:
    settings_dict = {**settings.DATABASES["default"], "NAME": str(path)}
    wrapper = DatabaseWrapper(settings_dict, alias="pragmas")
    try:
        with wrapper.cursor() as cursor:
            return {
                name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        wrapper.close()


def test_a_sqlite_file_opens_in_wal_with_normal_sync_a_busy_timeout_and_foreign_keys(tmp_path, django_db_blocker):
    with django_db_blocker.unblock():  # a connection of its own, to a file: not the test database
        pragmas = _pragmas(tmp_path / "db.sqlite3")
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL
        "foreign_keys": 1,
        "busy_timeout": SQLITE_BUSY_TIMEOUT_SECONDS * 1000,
    }


def test_transactions_take_the_write_lock_up_front():
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_the_operators_own_options_win():
    assert sqlite_options({"timeout": 3})["timeout"] == 3
    assert sqlite_options()["timeout"] == SQLITE_BUSY_TIMEOUT_SECONDS
