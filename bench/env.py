"""The benchmark's own environment: a temporary VAR_DIR and database, set up before Django starts.

Nothing here touches var/ or the developer's database: SPARKSSO_VAR_DIR points at a temporary
directory, and the database is a fresh SQLite file in it, or, when DATABASE_URL names a
PostgreSQL server, a separate ``<name>_bench`` database on that server (created, migrated and
dropped by Django's test-database machinery).
"""

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "pgsql://", "psql://"))


@contextmanager
def django_environment() -> Iterator[Path]:
    """Point settings at a temporary directory, then django.setup(); yields that directory."""
    with tempfile.TemporaryDirectory(prefix="sparksso-bench-") as tmp:
        var_dir = Path(tmp)
        os.environ["SPARKSSO_VAR_DIR"] = str(var_dir)
        os.environ["DJANGO_SETTINGS_MODULE"] = "sparksso.settings"
        # The groups' ACS URLs are built from BASE_URL: the address the live benchmarks' server uses.
        from bench.servers import PORTS

        os.environ["BASE_URL"] = f"http://127.0.0.1:{PORTS['sparksso']}"
        if not _is_postgres(os.environ.get("DATABASE_URL", "")):
            os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
        import django

        django.setup()
        yield var_dir


@contextmanager
def database() -> Iterator[str]:
    """A freshly migrated database for this run; yields a one-line description of it."""
    from django.db import connection

    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        settings_dict["TEST"]["NAME"] = settings_dict["NAME"]  # already the temporary file
    else:
        settings_dict["TEST"]["NAME"] = f"{settings_dict['NAME']}_bench"
    with redirect_stdout(io.StringIO()):  # createcachetable talks even at verbosity 0
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield database_description()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def database_description() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version} (file in a temporary directory)"
    connection.ensure_connection()
    version = connection.cursor().connection.info.server_version if connection.vendor == "postgresql" else ""
    return f"{connection.vendor} {version}".strip()
