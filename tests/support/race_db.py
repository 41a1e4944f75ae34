"""A database that real threads can race on: PostgreSQL as configured, or SQLite in a file.

The SQLite test database is in memory, and an in-memory database cannot be shared by connections
in several threads. ``race_db`` copies its schema into a file (WAL, BEGIN IMMEDIATE and a busy
timeout, as production opens it: sparksso/db.py), points the default connection at that file for
the test, and puts the in-memory database back afterwards. Every thread then opens its own
connection, as every gunicorn worker does.
"""

import sqlite3

import pytest
from django.db import connection, connections


@pytest.fixture
def race_db(transactional_db, tmp_path):
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    settings_dict = connection.settings_dict
    memory_name = settings_dict["NAME"]
    connection.ensure_connection()
    target = sqlite3.connect(tmp_path / "race.sqlite3")
    try:
        connection.connection.backup(target)  # the migrated schema, no rows
    finally:
        target.close()
    memory = connection.connection
    connection.connection = None  # closing it would drop the in-memory database: keep it aside
    settings_dict["NAME"] = str(tmp_path / "race.sqlite3")
    try:
        yield
    finally:
        connections["default"].close()
        settings_dict["NAME"] = memory_name
        connection.connection = memory
