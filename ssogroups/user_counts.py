"""The per-group user count (``SSOGroupUserCount``), kept exact by triggers on the users table.

Why triggers: a user joins or leaves a group's set through many writers (``user_create``,
``user_delete``, ``user_manage``, the bulk ``users_import``, Django's SET NULL when a group is
deleted, an account's cascade). A trigger runs in the writing transaction for every one of them,
and its ``n = n + 1`` (an atomic upsert, row-locked until the commit) cannot drift under concurrent
writers the way a read-then-write in Python could. Deactivation keeps a user in the set (SCIM still
lists them), so it changes no count.

SQLite drops a table's triggers when a migration rebuilds the table, so ``user_counts_ensure``
runs after every ``migrate``: it re-creates missing triggers and then recounts.
"""

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

from accounts.models import User
from ssogroups.models import SSOGroupUserCount

# Written out in the SQL below, as a migration's SQL is: the tables these triggers were made for.
USERS = "accounts_user"
COUNTS = "ssogroups_ssogroupusercount"
assert (USERS, COUNTS) == (User._meta.db_table, SSOGroupUserCount._meta.db_table)
TRIGGERS = (
    "ssogroups_user_count_insert",
    "ssogroups_user_count_delete",
    "ssogroups_user_count_update",
)
# SQLite has no transition tables: one row-level trigger per case; the update is two (leave, join).
SQLITE_TRIGGERS = (*TRIGGERS[:2], "ssogroups_user_count_leave", "ssogroups_user_count_join")

_SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS ssogroups_user_count_insert AFTER INSERT ON accounts_user
    WHEN NEW.sso_group_id IS NOT NULL BEGIN
      INSERT INTO ssogroups_ssogroupusercount (sso_group_id, users) VALUES (NEW.sso_group_id, 1)
      ON CONFLICT (sso_group_id) DO UPDATE SET users = users + 1;
    END""",
    """CREATE TRIGGER IF NOT EXISTS ssogroups_user_count_delete AFTER DELETE ON accounts_user
    WHEN OLD.sso_group_id IS NOT NULL BEGIN
      UPDATE ssogroups_ssogroupusercount SET users = users - 1 WHERE sso_group_id = OLD.sso_group_id;
    END""",
    """CREATE TRIGGER IF NOT EXISTS ssogroups_user_count_leave AFTER UPDATE OF sso_group_id ON accounts_user
    WHEN OLD.sso_group_id IS NOT NULL AND OLD.sso_group_id IS NOT NEW.sso_group_id BEGIN
      UPDATE ssogroups_ssogroupusercount SET users = users - 1 WHERE sso_group_id = OLD.sso_group_id;
    END""",
    """CREATE TRIGGER IF NOT EXISTS ssogroups_user_count_join AFTER UPDATE OF sso_group_id ON accounts_user
    WHEN NEW.sso_group_id IS NOT NULL AND OLD.sso_group_id IS NOT NEW.sso_group_id BEGIN
      INSERT INTO ssogroups_ssogroupusercount (sso_group_id, users) VALUES (NEW.sso_group_id, 1)
      ON CONFLICT (sso_group_id) DO UPDATE SET users = users + 1;
    END""",
]

# PostgreSQL: inserts and deletes per statement over their transition tables, so a bulk import of
# 100,000 users is one upsert per group, in group order (two imports never lock counts in opposite
# orders); a change of group per row, and only when sso_group_id really changes (a sign-in's
# UPDATE of last_login never fires it).
_POSTGRES = [
    """CREATE OR REPLACE FUNCTION ssogroups_user_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO ssogroups_ssogroupusercount (sso_group_id, users)
        SELECT sso_group_id, COUNT(*) FROM new_users WHERE sso_group_id IS NOT NULL
        GROUP BY sso_group_id ORDER BY sso_group_id
      ON CONFLICT (sso_group_id) DO UPDATE SET users = ssogroups_ssogroupusercount.users + EXCLUDED.users;
      RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION ssogroups_user_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE ssogroups_ssogroupusercount c SET users = c.users - gone.n
        FROM (SELECT sso_group_id, COUNT(*) AS n FROM old_users WHERE sso_group_id IS NOT NULL
              GROUP BY sso_group_id) gone
        WHERE c.sso_group_id = gone.sso_group_id;
      RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION ssogroups_user_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.sso_group_id IS NOT NULL THEN
        UPDATE ssogroups_ssogroupusercount SET users = users - 1 WHERE sso_group_id = OLD.sso_group_id;
      END IF;
      IF NEW.sso_group_id IS NOT NULL THEN
        INSERT INTO ssogroups_ssogroupusercount (sso_group_id, users) VALUES (NEW.sso_group_id, 1)
        ON CONFLICT (sso_group_id) DO UPDATE SET users = ssogroups_ssogroupusercount.users + 1;
      END IF;
      RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS ssogroups_user_count_insert ON accounts_user",
    """CREATE TRIGGER ssogroups_user_count_insert AFTER INSERT ON accounts_user
    REFERENCING NEW TABLE AS new_users FOR EACH STATEMENT EXECUTE FUNCTION ssogroups_user_count_insert()""",
    "DROP TRIGGER IF EXISTS ssogroups_user_count_delete ON accounts_user",
    """CREATE TRIGGER ssogroups_user_count_delete AFTER DELETE ON accounts_user
    REFERENCING OLD TABLE AS old_users FOR EACH STATEMENT EXECUTE FUNCTION ssogroups_user_count_delete()""",
    "DROP TRIGGER IF EXISTS ssogroups_user_count_update ON accounts_user",
    """CREATE TRIGGER ssogroups_user_count_update AFTER UPDATE OF sso_group_id ON accounts_user
    FOR EACH ROW WHEN (OLD.sso_group_id IS DISTINCT FROM NEW.sso_group_id)
    EXECUTE FUNCTION ssogroups_user_count_update()""",
]

_RECOUNT = [
    "DELETE FROM ssogroups_ssogroupusercount",
    """INSERT INTO ssogroups_ssogroupusercount (sso_group_id, users)
    SELECT sso_group_id, COUNT(*) FROM accounts_user WHERE sso_group_id IS NOT NULL GROUP BY sso_group_id""",
]


def _expected(connection: BaseDatabaseWrapper) -> tuple[str, ...]:
    return SQLITE_TRIGGERS if connection.vendor == "sqlite" else TRIGGERS


def user_count_triggers(connection: BaseDatabaseWrapper = default_connection) -> set[str]:
    """The count triggers present on the users table."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [USERS])
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass", [USERS])
        return {name for (name,) in cursor.fetchall()} & set(_expected(connection))


def user_counts_install(connection: BaseDatabaseWrapper = default_connection) -> None:
    """Create the triggers (idempotent) and recount every group, in the caller's transaction."""
    if connection.vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"user counts need SQLite or PostgreSQL, not {connection.vendor}")
    with connection.cursor() as cursor:
        for statement in (_SQLITE if connection.vendor == "sqlite" else _POSTGRES) + _RECOUNT:
            cursor.execute(statement)


def user_counts_ensure(connection: BaseDatabaseWrapper = default_connection) -> bool:
    """After ``migrate``: re-create triggers a table rebuild dropped, then recount. True if it had to.

    Only when one is missing: a recount beside live writers could miss one of theirs."""
    if user_count_triggers(connection) == set(_expected(connection)):
        return False
    user_counts_install(connection)
    return True


def sso_group_user_count(*, sso_group_id: int) -> int:
    """How many users the group manages (active or not); one primary-key read."""
    with default_connection.cursor() as cursor:
        cursor.execute(f"SELECT users FROM {COUNTS} WHERE sso_group_id = %s", [sso_group_id])  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else 0


def user_counts_uninstall(connection: BaseDatabaseWrapper = default_connection) -> None:
    """Drop the triggers (the migration's reverse)."""
    with connection.cursor() as cursor:
        for name in _expected(connection):
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if connection.vendor == "sqlite" else f" ON {USERS}"))
        if connection.vendor == "postgresql":
            for name in TRIGGERS:
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def user_counts_after_migrate(*, using: str, **kwargs) -> None:
    """post_migrate: the triggers are back whatever a migration rebuilt (see the module docstring)."""
    from django.db import connections

    connection = connections[using]
    if COUNTS in connection.introspection.table_names() and USERS in connection.introspection.table_names():
        user_counts_ensure(connection)
